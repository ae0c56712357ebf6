import type { AnswerMode } from '../answer/answer-service.js';

/**
 * Labels for AI-generated content (China's labelling measures, in force since 2025-09-01, and GB 45438-2025):
 * a visible label on every generated answer, and an implicit one (metadata) where the medium has metadata.
 * Curated answers (written by the support team) and quoted ones (help-article text, no model) are labelled as
 * what they are; refusals and clarifying questions are fixed templates and carry no label.
 */
export type ContentKind = 'ai_generated' | 'quoted' | 'curated' | 'template';

export function contentKind(mode: AnswerMode | string): ContentKind {
  switch (mode) {
    case 'generated':
      return 'ai_generated';
    case 'extractive':
    case 'fallback':
      return 'quoted';
    case 'curated':
      return 'curated';
    default:
      return 'template';
  }
}

export type LabelTexts = Record<Exclude<ContentKind, 'template'>, { zh: string; en: string }>;

export const DEFAULT_LABEL_TEXTS: LabelTexts = {
  ai_generated: { zh: '本回答由 AI 生成，仅供参考', en: 'AI-generated answer' },
  quoted: { zh: '摘自帮助文档', en: 'Quoted from our help articles' },
  curated: { zh: '客服团队审定的答复', en: 'Answer from our support team' },
};

export interface ContentLabel {
  kind: ContentKind;
  /** The visible label in the answer's language; empty for templates. */
  text: string;
  /** The implicit label, shaped as GB 45438-2025's `AIGC` metadata field. */
  implicit: { Label: '1' | '0'; ContentProducer: string; ProduceID: string };
}

export class ContentLabels {
  constructor(
    private readonly texts: LabelTexts = DEFAULT_LABEL_TEXTS,
    /** Who produced the content, in the implicit label (the deployment's name). */
    private readonly producer = 'kefu',
  ) {}

  label(mode: AnswerMode | string, lang: 'zh' | 'en', answerId: string): ContentLabel {
    const kind = contentKind(mode);
    return {
      kind,
      text: kind === 'template' ? '' : this.texts[kind][lang],
      implicit: { Label: kind === 'ai_generated' ? '1' : '0', ContentProducer: this.producer, ProduceID: answerId },
    };
  }

  /** The implicit label as one header value (`AIGC: {"Label":"1",…}`), for HTTP and e-mail. */
  static header(label: ContentLabel): string {
    return JSON.stringify(label.implicit);
  }
}
