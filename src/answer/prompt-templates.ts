import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Language } from '../text/language.js';

/**
 * The assistant's system prompt as text a company edits (knowledge/prompts/system.zh.md and system.en.md),
 * with `{{placeholders}}` filled per answer. Validated once at start-up: an unknown or malformed placeholder
 * stops the service with the file, line and the list of known names, instead of reaching a customer.
 */
export const PLACEHOLDERS = {
  company_name: 'the company (COMPANY_NAME)',
  current_time: "the time now, in the customer's time zone when the client sent one",
  user_region: "the customer's region, when the client sent one",
  channel: 'where the question came from: the chat widget, e-mail or the API',
  product_line: 'the product line the question is about, with its description',
  product_line_rules: 'the rules text of knowledge/product-lines.yaml in this language',
  handoff_contact: "how to reach a person: HANDOFF_CONTACT_ZH / _EN, or the customer's language's own HANDOFF_CONTACT_<LANG>",
  answer_length: "the channel's answer length (ANSWER_LENGTH_*), e.g. 150 字 or 80 words",
  channel_style: "how to write for the channel: conversational in the widget, the formal body of a letter by e-mail",
} as const;
export type Placeholder = keyof typeof PLACEHOLDERS;
export type PromptTemplates = Record<Language, string>;

export class PromptTemplateError extends Error {
  override name = 'PromptTemplateError';
}

/** Loads and checks `system.zh.md` and `system.en.md` from `directory`. */
export async function loadPromptTemplates(directory: string): Promise<PromptTemplates> {
  const templates = {} as PromptTemplates;
  for (const lang of ['zh', 'en'] as const) {
    const file = path.join(directory, `system.${lang}.md`);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new PromptTemplateError(`The system prompt template ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); PROMPTS_DIR must hold system.zh.md and system.en.md`);
    }
    validateTemplate(text, file);
    templates[lang] = text;
  }
  return templates;
}

/** Throws on a placeholder that is not one of PLACEHOLDERS, or on braces that do not form one. */
export function validateTemplate(text: string, file: string): void {
  const lines = text.split('\n');
  lines.forEach((line, index) => {
    const names = [...line.matchAll(/\{\{\s*([^{}]*?)\s*\}\}/g)];
    for (const match of names) {
      if (!(match[1] in PLACEHOLDERS)) {
        throw new PromptTemplateError(`${file}:${index + 1}: unknown placeholder {{${match[1]}}}; known: ${Object.keys(PLACEHOLDERS).map((name) => `{{${name}}}`).join(', ')}`);
      }
    }
    const rest = line.replace(/\{\{\s*[^{}]*?\s*\}\}/g, '');
    if (rest.includes('{{') || rest.includes('}}')) throw new PromptTemplateError(`${file}:${index + 1}: unbalanced "{{" or "}}" (a placeholder is written {{name}})`);
  });
}

/** Fills every placeholder; a value's own braces are not read as placeholders. */
export function renderTemplate(template: string, values: Record<Placeholder, string>): string {
  return template.replace(/\{\{\s*([a-z_]+)\s*\}\}/g, (_whole, name: Placeholder) => values[name]).replace(/\n{3,}/g, '\n\n').trim();
}

export type Channel = 'widget' | 'email' | 'api';

const CHANNEL_NAMES: Record<Channel, Record<Language, string>> = {
  widget: { zh: '网站在线客服窗口', en: 'the chat widget on our website' },
  email: { zh: '电子邮件', en: 'e-mail' },
  api: { zh: 'API', en: 'the API' },
};

export const channelName = (channel: Channel, lang: Language) => CHANNEL_NAMES[channel][lang];

// By e-mail the service adds the greeting and sign-off itself (src/email/compose-reply.ts): the model writes the body.
const CHANNEL_STYLES: Record<Channel, Record<Language, string>> = {
  widget: { zh: '这是网页聊天：语气亲切自然，简短直接。', en: 'This is a live chat: be conversational, short and direct.' },
  email: {
    zh: '这是一封邮件回复：只写正文（称呼和落款由系统添加，不要自己写），语气正式、礼貌，用完整的句子，可分段。',
    en: 'This is an e-mail reply: write only the body (the greeting and sign-off are added for you; do not write them), in a formal, courteous tone, in full sentences, with paragraphs where helpful.',
  },
  api: { zh: '语气礼貌、中性。', en: 'Use a polite, neutral tone.' },
};

export const channelStyle = (channel: Channel, lang: Language) => CHANNEL_STYLES[channel][lang];

/**
 * "2026年12月1日 星期二 20:15（北京时间 Asia/Shanghai）" / "Tuesday, December 1, 2026, 8:15 PM (Asia/Shanghai)".
 * Without the customer's zone, the server's and UTC offset are given, so the model does not assume one.
 */
export function formatCurrentTime(now: Date, lang: Language, timeZone?: string): string {
  const zone = timeZone ?? 'UTC';
  const formatted = new Intl.DateTimeFormat(lang === 'zh' ? 'zh-CN' : 'en-US', { dateStyle: 'full', timeStyle: 'short', timeZone: zone }).format(now);
  if (lang === 'zh') return `${formatted}（${timeZone ? `时区 ${timeZone}` : 'UTC，顾客时区未知'}）`;
  return `${formatted} (${timeZone ? timeZone : "UTC; the customer's time zone is not known"})`;
}

/** Whether `timeZone` is an IANA zone this runtime knows ("Asia/Shanghai", "UTC"). */
export function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** "CN" → "中国（CN）" / "China (CN)"; anything Intl does not know is shown as given. */
export function regionName(region: string | undefined, lang: Language): string {
  if (!region) return lang === 'zh' ? '未知' : 'not known';
  try {
    const name = new Intl.DisplayNames([lang === 'zh' ? 'zh-CN' : 'en'], { type: 'region' }).of(region.toUpperCase());
    return name && name !== region.toUpperCase() ? (lang === 'zh' ? `${name}（${region.toUpperCase()}）` : `${name} (${region.toUpperCase()})`) : region;
  } catch {
    return region;
  }
}

/** An answer length per channel: Chinese in characters, English in words. */
export interface AnswerLength {
  zh: number;
  en: number;
}

export const answerLengthText = (length: AnswerLength, lang: Language) => (lang === 'zh' ? `${length.zh} 字` : `${length.en} words`);
