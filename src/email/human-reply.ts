import type { Language } from '../text/language.js';
import { replyBody } from './compose-reply.js';
import { SCAN_CHARS } from './email-channel.js';
import { emailQuestion } from './email-question.js';
import type { DraftRecord } from './email-store.js';

/** A question a person answered: what the knowledge base can learn from an approved reply. */
export interface HumanReply {
  question: string;
  answer: string;
  lang: Language;
  productLine?: string;
  draftId: string;
  /** The reviewer who approved it. */
  by: string;
}

export interface HumanReplyContext {
  companyName: string;
  handoffContact: Record<Language, string>;
  maxQuestionChars: number;
}

/**
 * The question and a person's answer in an approved draft, or undefined when the reviewer sent the draft's text
 * unchanged: Kefu's own answer (or holding reply) teaches nothing. The question is the one drafting asked (the
 * mail's question sentences); the answer is the reply's body without the letter around it.
 */
export function humanReplyOf(draft: DraftRecord, context: HumanReplyContext): HumanReply | undefined {
  const approval = [...draft.events].reverse().find((event) => event.action === 'approved');
  if (!approval?.details?.textChanged || !draft.final) return undefined;
  const answer = replyBody(draft.final.text, { lang: draft.lang, companyName: context.companyName, handoffContact: context.handoffContact[draft.lang] });
  const question = emailQuestion(draft.subject, draft.customerText.slice(0, SCAN_CHARS), { maxChars: context.maxQuestionChars, inThread: false }).trim();
  if (!answer || !question) return undefined;
  return { question, answer, lang: draft.lang, productLine: draft.answer.productLine || undefined, draftId: draft.id, by: approval.by };
}
