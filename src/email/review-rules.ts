import { z } from 'zod';
import { readRulesFile } from '../config/rules-file.js';
import type { Language } from '../text/language.js';

/**
 * Which drafts a person must see before they go out (knowledge/email-review.yaml): mail touching refunds,
 * compensation, legal threats, safety, personal data or written in anger, plus refusals and answers the
 * retrieval was not sure of. The rest may be sent without review only when auto-send is allowed.
 */
const bilingual = z.object({ zh: z.string().min(1), en: z.string().min(1) });
const fileSchema = z.object({
  // `patterns` ignore case; `exact` ones match as written (shouting: "NOW" in capitals, not "now").
  categories: z.record(z.string().regex(/^[a-z_]+$/), z.object({ names: bilingual, patterns: z.array(z.string()).min(1), exact: z.array(z.string()).default([]) })),
});

export interface ReviewReason {
  /** A category of the rules file, or `refusal` / `low_confidence` / `model_unavailable`. */
  code: string;
  label: string;
  /** The words that matched, for the reviewer. */
  matched?: string;
}

export interface ReviewInput {
  text: string;
  subject: string;
  lang: Language;
  refused: boolean;
  confidence: number;
  /** Fallback and ungrounded-replaced drafts were meant to be generated: a person should look. */
  mode: string;
  /** The message was longer than EMAIL_MAX_TEXT_CHARS and only its start was read. */
  truncated?: boolean;
  /** The text given is only the start of the customer's text: the rules could not read all of it. */
  unscanned?: boolean;
  /** Reply-To names a domain other than From's: approving would send the reply to somebody else. */
  replyToElsewhere?: { from: string; replyTo: string };
}

/** Which reasons hold a draft for a person; `refresh` (a rules file read again if it changed) runs before each draft. */
export interface ReviewPolicy {
  reasons(input: ReviewInput): ReviewReason[];
  refresh?(): Promise<void>;
}

export class ReviewRules implements ReviewPolicy {
  private readonly categories: { code: string; names: Record<Language, string>; patterns: RegExp[] }[];

  constructor(
    input: z.input<typeof fileSchema>,
    private readonly minConfidence: number,
  ) {
    const rules = fileSchema.parse(input);
    this.categories = Object.entries(rules.categories).map(([code, category]) => ({
      code,
      names: category.names,
      patterns: [...category.patterns.map((pattern) => new RegExp(pattern, 'iu')), ...category.exact.map((pattern) => new RegExp(pattern, 'u'))],
    }));
  }

  static async load(file: string, minConfidence: number): Promise<ReviewRules> {
    return new ReviewRules(await readRulesFile(file, fileSchema, 'e-mail review rules'), minConfidence);
  }

  reasons(input: ReviewInput): ReviewReason[] {
    const text = `${input.subject}\n${input.text}`;
    const reasons: ReviewReason[] = [];
    for (const category of this.categories) {
      const match = category.patterns.map((pattern) => pattern.exec(text)).find(Boolean);
      if (match) reasons.push({ code: category.code, label: category.names[input.lang], matched: match[0] });
    }
    const labels = LABELS[input.lang];
    if (input.refused) reasons.push({ code: 'refusal', label: labels.refusal });
    else if (input.confidence < this.minConfidence) reasons.push({ code: 'low_confidence', label: labels.lowConfidence });
    if (input.mode === 'fallback') reasons.push({ code: 'model_unavailable', label: labels.fallback });
    if (input.truncated) reasons.push({ code: 'truncated', label: labels.truncated });
    if (input.unscanned) reasons.push({ code: 'long_message', label: labels.longMessage });
    if (input.replyToElsewhere) reasons.push({ code: 'reply_to_elsewhere', label: labels.replyToElsewhere, matched: `${input.replyToElsewhere.from} → ${input.replyToElsewhere.replyTo}` });
    return reasons;
  }
}

const LABELS: Record<Language, { refusal: string; lowConfidence: string; fallback: string; truncated: string; replyToElsewhere: string; longMessage: string }> = {
  zh: { refusal: '资料中没有答案（仅发送转人工的回复）', lowConfidence: '回答把握不足', fallback: '生成模型不可用，草稿为摘录', truncated: '邮件过长，只读取了开头部分', replyToElsewhere: '回复地址（Reply-To）不在发件人的域名下，回复会发给别人', longMessage: '邮件很长，审核规则只检查了开头部分，请通读' },
  en: { refusal: 'no answer in the knowledge base (holding reply only)', lowConfidence: 'low answer confidence', fallback: 'the model was unavailable; the draft is quoted text', truncated: 'the message was too long; only its beginning was read', replyToElsewhere: "the Reply-To address is outside the sender's domain: the reply would go to someone else", longMessage: 'a long message: the review rules read only its beginning; read it yourself' },
};
