import type { Language } from '../text/language.js';

/** Fixed texts the service says itself, in both languages. The contact line comes from settings. */
export const MESSAGES = {
  refusal: {
    zh: (contact: string) => `抱歉，我在现有的帮助资料里没有找到能可靠回答这个问题的内容，不想给您不准确的答复。您可以换个说法再问一次，或者联系${contact}。`,
    en: (contact: string) => `Sorry, I couldn't find anything in our help articles that answers this reliably, and I'd rather not guess. You can rephrase the question, or contact ${contact}.`,
  },
  /** The middle band without a model: questions the knowledge base does answer, for the customer to pick. */
  suggest: {
    zh: (suggestions: string[], contact: string) => `我不确定资料里有这个问题的答案。您是想问下面这些吗？\n${suggestions.map((text, index) => `${index + 1}. ${text}`).join('\n')}\n都不是的话，可以联系${contact}。`,
    en: (suggestions: string[], contact: string) => `I'm not sure our help articles answer this. Did you mean one of these?\n${suggestions.map((text, index) => `${index + 1}. ${text}`).join('\n')}\nIf not, you can contact ${contact}.`,
  },
  extractiveNotice: {
    zh: '以下内容直接摘自帮助资料（未使用生成模型）。',
    en: 'This answer is quoted directly from our help articles (no generated text).',
  },
  fallbackNotice: {
    zh: '生成回答暂时不可用，以下内容直接摘自帮助资料。',
    en: 'Generated answers are unavailable right now; this is quoted directly from our help articles.',
  },
  /** After a request for missing details, when the sources had nothing to add. */
  detailsHandoff: {
    zh: (contact: string) => `收到后我们会尽快为您处理，您也可以直接联系${contact}。`,
    en: (contact: string) => ` We'll look into it as soon as we have it; you can also contact ${contact}.`,
  },
  /** Told to the model when the service will ask for missing details after its answer. */
  detailsNote: {
    zh: '注意：顾客缺少的订单号、日期或序列号等信息，系统会在你的回答之后另行询问，你不要再询问这些信息。',
    en: "Note: the service asks the customer for any missing order number, date or serial number after your answer; do not ask for them yourself.",
  },
  curatedFallbackNotice: {
    zh: '生成回答暂时不可用，以下是客服团队预先准备的答复。',
    en: 'Generated answers are unavailable right now; this is a prepared answer from our support team.',
  },
  /** Heads the source list that text-only clients (OpenAI-compatible chat apps, e-mail) get under the answer. */
  sourcesHeading: {
    zh: '来源：',
    en: 'Sources:',
  },
} satisfies Record<string, Record<Language, unknown>>;
