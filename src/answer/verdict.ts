/**
 * The middle band in generated mode: the model judges whether the sources answer the question, and says so in a
 * machine-readable verdict (structured output: a JSON schema the OpenAI-compatible API passes to vLLM's guided
 * decoding), so a decline is a refusal with the handoff offer rather than a polite non-answer shown as an answer.
 */
import { z } from 'zod';
import type { ChatMessage } from './chat-model.js';
import type { Language } from '../text/language.js';

export type Verdict = { verdict: 'answer'; answer: string } | { verdict: 'decline'; answer: string };

/** The schema sent as `response_format: { type: "json_schema" }`. */
export const VERDICT_SCHEMA = {
  type: 'object',
  properties: {
    verdict: { type: 'string', enum: ['answer', 'decline'] },
    answer: { type: 'string' },
  },
  required: ['verdict', 'answer'],
  additionalProperties: false,
} as const;

const verdictShape = z.object({
  verdict: z.preprocess((value) => (typeof value === 'string' ? value.trim().toLowerCase() : value), z.enum(['answer', 'decline'])),
  answer: z.string().default(''),
});

const MAX_STARTS = 16;

/**
 * Reads a verdict from what the model returned. Guided decoding gives bare JSON; a server without it, or a model
 * that ignores it, may wrap it in a code fence or add words around it, so the first JSON object in the text is
 * read. Undefined when there is none or it is not a verdict: the caller treats that as "no judgement".
 */
export function parseVerdict(content: string): Verdict | undefined {
  const text = content.trim();
  // Each opening brace tried scans to its match, or to the end: over every brace of a hostile run ("{{{{…", a
  // model led on by a crawled page) that was quadratic (64,000 characters: 7 s on the event loop). A verdict comes
  // first or after a few words, so only the first MAX_STARTS braces are tried: linear in the text.
  let tried = 0;
  for (let start = text.indexOf('{'); start >= 0 && tried++ < MAX_STARTS; start = text.indexOf('{', start + 1)) {
    // The matching closing brace, strings and escapes respected.
    let depth = 0;
    let inString = false;
    for (let index = start; index < text.length; index++) {
      const char = text[index];
      if (inString) {
        if (char === '\\') index++;
        else if (char === '"') inString = false;
        continue;
      }
      if (char === '"') inString = true;
      else if (char === '{') depth++;
      else if (char === '}' && --depth === 0) {
        try {
          const parsed = verdictShape.safeParse(JSON.parse(text.slice(start, index + 1)));
          if (parsed.success) return parsed.data as Verdict;
        } catch {
          // not JSON: try the next brace
        }
        break;
      }
    }
  }
  return undefined;
}

/** Appended to the grounded prompt's user message: answer only what the sources support, else decline. */
export function withVerdictInstruction(messages: ChatMessage[], lang: Language): ChatMessage[] {
  const instruction =
    lang === 'zh'
      ? '\n\n只根据上面编号的资料判断：资料能回答这个问题时，verdict 写 "answer"，answer 写出答案并用 [n] 标注来源；资料不能回答或只能部分回答时，verdict 写 "decline"，answer 留空。不要猜测。只输出 JSON：{"verdict": "answer" 或 "decline", "answer": "…"}。'
      : '\n\nJudge only by the numbered sources above. If they answer the question, set verdict to "answer" and write the answer in "answer", citing sources as [n]. If they do not answer it, or only partly, set verdict to "decline" and leave "answer" empty. Do not guess. Output only JSON: {"verdict": "answer" or "decline", "answer": "…"}.';
  const last = messages.at(-1)!;
  return [...messages.slice(0, -1), { ...last, content: `${last.content}${instruction}` }];
}
