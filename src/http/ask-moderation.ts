import { randomUUID } from 'node:crypto';
import type { Response } from 'express';
import type { AnswerDone, AnswerMeta } from '../answer/answer-service.js';
import { ContentLabels } from '../moderation/content-label.js';
import { type Moderation, type ModerationHit, moderationRefusal } from '../moderation/lexicon.js';
import { detectLanguage } from '../text/language.js';
import type { PreparedAnswer } from './answer-run.js';

/** What /v1/ask needs for labels and moderation. */
export interface AskModeration {
  labels: ContentLabels;
  lexicon?: Moderation;
  handoffContact: { zh: string; en: string };
  onHit?: (category: string, where: 'question' | 'answer') => void;
}

type Done = AnswerDone & { contentLabel?: { kind: string; text: string }; aigc?: Record<string, string>; moderated?: { category: string } };

/**
 * Labels and the lexicon on /v1/ask, kept beside the route so the route stays a translation:
 * - a question with a lexicon term is refused at once, shaped like any refusal (the widget offers a person);
 * - streamed tokens go through the lexicon across chunk boundaries; from a hit on, tokens are withheld and the
 *   `done` event's answer (which replaces the streamed text, as after a model failure) is the refusal; the turn
 *   kept in the session and the answer record is the refusal too, never the term;
 * - every `done` carries `contentLabel` (the visible label) and `aigc` (the implicit one); a JSON answer also
 *   has the `AIGC` header. A stream's headers leave before the answer's mode is known, so it has the field only.
 */
export function moderateAsk(settings: AskModeration | undefined, question: string, prepare: (signal: AbortSignal) => Promise<PreparedAnswer>, response: Response) {
  const lang = detectLanguage(question);
  const guard = settings?.lexicon?.stream('answer');
  let streamHit: ModerationHit | undefined;
  const hit = (found: ModerationHit | undefined, where: 'question' | 'answer') => {
    if (found) settings?.onHit?.(found.category, where);
    return found;
  };
  const label = (done: Done, answerLang: 'zh' | 'en') => {
    if (!settings) return;
    const content = settings.labels.label(done.mode, answerLang, done.answerId);
    done.contentLabel = { kind: content.kind, text: content.text };
    done.aigc = content.implicit;
    if (!response.headersSent) response.setHeader('AIGC', ContentLabels.header(content));
  };
  const questionHit = hit(settings?.lexicon?.check(question, 'question'), 'question');
  if (questionHit && settings) {
    const answerId = randomUUID();
    const meta: AnswerMeta = { answerId, lang, productLine: 'unknown', productLineName: null, confidence: 0, threshold: 0, sources: [] };
    const done: Done = {
      answerId,
      answer: moderationRefusal(lang, settings.handoffContact[lang]),
      mode: 'refusal',
      refused: true,
      notice: null,
      citations: [],
      productLine: 'unknown',
      confidence: 0,
      replacedUngrounded: false,
      cached: false,
      usage: {},
      timings: {},
      moderated: { category: questionHit.category },
    };
    label(done, lang);
    return { refused: { meta, done }, prepare, withhold: () => false };
  }
  return {
    refused: undefined,
    withhold: (text: string) => {
      if (!guard) return false;
      streamHit ??= hit(guard.feed(text), 'answer');
      return Boolean(streamHit);
    },
    prepare: async (signal: AbortSignal): Promise<PreparedAnswer> => {
      const prepared = await prepare(signal);
      return {
        ...prepared,
        // Runs before `done` is written and before the turn is stored: both see the refusal, never the term.
        onDone: async (meta, done: Done) => {
          const found = streamHit ?? hit(settings?.lexicon?.check(done.answer, 'answer'), 'answer');
          if (found && settings) {
            Object.assign(done, {
              answer: moderationRefusal(meta.lang, settings.handoffContact[meta.lang]),
              mode: 'refusal',
              refused: true,
              notice: null,
              citations: [],
              moderated: { category: found.category },
            });
          }
          label(done, meta.lang);
          await prepared.onDone?.(meta, done);
        },
      };
    },
  };
}
