import type { Language } from '../text/language.js';

/** Fixed texts the service says itself, in both languages. The contact line comes from settings. */
export const MESSAGES = {
  refusal: {
    zh: (contact: string) => `抱歉，我在现有的帮助资料里没有找到能可靠回答这个问题的内容，不想给您不准确的答复。您可以换个说法再问一次，或者联系${contact}。`,
    en: (contact: string) => `Sorry, I couldn't find anything in our help articles that answers this reliably, and I'd rather not guess. You can rephrase the question, or contact ${contact}.`,
  },
  extractiveNotice: {
    zh: '以下内容直接摘自帮助资料（未使用生成模型）。',
    en: 'This answer is quoted directly from our help articles (no generated text).',
  },
  fallbackNotice: {
    zh: '生成回答暂时不可用，以下内容直接摘自帮助资料。',
    en: 'Generated answers are unavailable right now; this is quoted directly from our help articles.',
  },
} satisfies Record<string, Record<Language, unknown>>;
