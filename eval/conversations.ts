/**
 * The conversation eval (`npm run eval -- --conversations eval/conversations.jsonl`): multi-turn
 * conversations on the sample knowledge base, each turn labelled with its relevant documents, or as
 * unanswerable. Turns run in order through the same path as the chat widget (follow-up candidate from the
 * conversation, then the answer service deciding on evidence), and are scored per turn kind: hit@1 of the
 * first source and whether the refuse/answer decision was right.
 */
import { z } from 'zod';
import type { AnswerDone, AnswerMeta, AnswerService } from '../src/answer/answer-service.js';
import { resolveFollowUp } from '../src/chat/follow-up.js';
import type { Turn } from '../src/chat/session-store.js';
import type { ProductLineClassifier } from '../src/classify/product-lines.js';
import { readJsonLines } from './suite.js';

const conversationSchema = z.object({
  id: z.string(),
  lang: z.enum(['zh', 'en']),
  turns: z.array(z.object({ text: z.string().min(1), relevant: z.array(z.string()), answerable: z.boolean(), kind: z.string() })).min(1),
});
export type Conversation = z.infer<typeof conversationSchema>;

export const readConversations = (file: string): Conversation[] => readJsonLines(file, conversationSchema);

export interface TurnResult {
  conversation: string;
  lang: string;
  kind: string;
  text: string;
  answerable: boolean;
  refused: boolean;
  hit: boolean;
  top?: string;
}

export async function runConversations(conversations: Conversation[], answers: AnswerService, classifier: ProductLineClassifier): Promise<TurnResult[]> {
  const results: TurnResult[] = [];
  for (const conversation of conversations) {
    const history: Turn[] = [];
    for (const turn of conversation.turns) {
      const followUp = await resolveFollowUp(turn.text, history, classifier, { lang: conversation.lang });
      let meta: AnswerMeta | undefined;
      let done: AnswerDone | undefined;
      const request = {
        question: turn.text,
        followUp,
        history: history.flatMap((entry) => [
          { role: 'user' as const, content: entry.question },
          { role: 'assistant' as const, content: entry.answer },
        ]),
      };
      for await (const event of answers.answer(request)) {
        if (event.type === 'meta') meta = event.data;
        if (event.type === 'done') done = event.data;
      }
      const top = meta?.sources[0]?.docId;
      results.push({ conversation: conversation.id, lang: conversation.lang, kind: turn.kind, text: turn.text, answerable: turn.answerable, refused: Boolean(done?.refused), hit: Boolean(top && turn.relevant.includes(top)), top });
      history.push({ answerId: done!.answerId, question: turn.text, answer: done!.answer, lang: conversation.lang, productLine: done!.productLine, mode: done!.mode, citations: [], at: '' });
    }
  }
  return results;
}

export function summarizeTurns(results: TurnResult[]) {
  const rows: Record<string, { turns: number; hitAt1: number; decisionAccuracy: number }> = {};
  const groups = new Map<string, TurnResult[]>();
  for (const result of results) {
    for (const key of [`${result.kind}`, `${result.kind} ${result.lang}`, 'all']) groups.set(key, [...(groups.get(key) ?? []), result]);
  }
  for (const [key, group] of [...groups.entries()].sort()) {
    const answerable = group.filter((result) => result.answerable);
    rows[key] = {
      turns: group.length,
      hitAt1: answerable.length ? answerable.filter((result) => result.hit).length / answerable.length : Number.NaN,
      decisionAccuracy: group.filter((result) => result.refused === !result.answerable).length / group.length,
    };
  }
  return rows;
}
