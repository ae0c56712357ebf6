import type { HandoffRequest, HandoffResolution, Handoffs } from '../handoff/handoffs.js';
import { kbLanguageFor, languageTagSchema } from '../text/language.js';
import type { Suggestion } from './suggestion-store.js';
import type { Suggestions } from './suggestions.js';

/**
 * How a handed-off question was answered, from wherever it is recorded (the admin API, a helpdesk's reply): the
 * resolution is logged masked, and the answer becomes a suggestion attached to the gap the question belongs to.
 */
export async function recordHandoffResolution(
  parts: { handoffs: Handoffs; suggestions: Suggestions },
  handoff: HandoffRequest,
  body: HandoffResolution,
  by: string,
): Promise<{ resolution: { id: string; at: string }; suggestion: Suggestion }> {
  const resolution = await parts.handoffs.resolve(handoff, body, by);
  const lang = handoff.lang ? kbLanguageFor(languageTagSchema.parse(handoff.lang)) : undefined;
  const suggestion = await parts.suggestions.fromHumanAnswer({
    kind: 'handoff',
    ref: handoff.id,
    by,
    question: body.question ?? handoff.question,
    answer: body.answer,
    lang,
    productLine: handoff.productLine && handoff.productLine !== 'unknown' ? handoff.productLine : undefined,
    askedBy: handoff.audiences,
  });
  return { resolution, suggestion };
}
