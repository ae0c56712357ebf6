import type { ProductLineRules } from '../classify/product-lines.js';
import type { Language } from '../text/language.js';
import type { ChatMessage } from './chat-model.js';
import { type AnswerLength, answerLengthText, type Channel, channelName, channelStyle, formatCurrentTime, type PromptTemplates, regionName, renderTemplate } from './prompt-templates.js';

export interface PromptSource {
  n: number;
  title: string;
  headingPath: string;
  sourcePath: string;
  productLine: string;
  text: string;
}

export interface PromptTurn {
  role: 'user' | 'assistant';
  content: string;
}

export interface PromptContext {
  companyName: string;
  lang: Language;
  productLine: string;
  rules: ProductLineRules;
  handoffContact: string;
  templates: PromptTemplates;
  /** Who asks, and from where: what the template's time, region and channel placeholders show. */
  audience: PromptAudience;
}

export interface PromptAudience {
  channel: Channel;
  /** IANA time zone of the customer ("Asia/Shanghai"), when the client sent it. */
  timeZone?: string;
  /** Region code of the customer ("CN", "US"), when the client sent it. */
  region?: string;
  answerLength: AnswerLength;
  /** The time of the answer (tests pin it). */
  now?: Date;
}

/**
 * The system prompt: the language's template from PROMPTS_DIR (role, service rules) with the answer's
 * context filled in. Written in the question's language because Qwen follows the system prompt's language closely.
 */
export function systemPrompt(context: PromptContext): string {
  const { lang, audience } = context;
  const line = context.rules.lines.find((candidate) => candidate.id === context.productLine);
  const productLine = line
    ? lang === 'zh'
      ? `${line.id} ${line.names.zh}（${line.description.zh}）`
      : `${line.id} ${line.names.en} (${line.description.en})`
    : lang === 'zh'
      ? '未能确定'
      : 'not determined';
  return renderTemplate(context.templates[lang], {
    company_name: context.companyName,
    current_time: formatCurrentTime(audience.now ?? new Date(), lang, audience.timeZone),
    user_region: regionName(audience.region, lang),
    channel: channelName(audience.channel, lang),
    product_line: productLine,
    product_line_rules: context.rules.rules[lang].trim(),
    handoff_contact: context.handoffContact,
    answer_length: answerLengthText(audience.answerLength, lang),
    channel_style: channelStyle(audience.channel, lang),
  });
}

/**
 * Each source and the question sit in their own tagged block, so text inside them (a pasted "[1] Refund
 * policy…", "ignore previous instructions") reads as data. A closing tag inside the text is neutralised so it
 * cannot end its block early.
 */
export function renderSource(source: PromptSource, text = source.text): string {
  const location = [source.title, source.headingPath].filter(Boolean).join(' — ');
  return `<source n="${source.n}" title="${escapeAttribute(location)}" path="${escapeAttribute(source.sourcePath)}" line="${escapeAttribute(source.productLine)}">\n${neutralizeTags(text)}\n</source>\n`;
}

export function userMessage(question: string, renderedSources: string[], lang: Language): string {
  const header = lang === 'zh' ? '资料（按编号引用）：' : 'Sources (cite by number):';
  const ask = lang === 'zh' ? '顾客的问题：' : "Customer's question:";
  return `${header}\n\n${renderedSources.join('\n')}\n${ask}\n<question>\n${neutralizeTags(question)}\n</question>`;
}

const neutralizeTags = (text: string) => text.replace(/<\/?\s*(source|question)\b[^>]*>/gi, (tag) => tag.replace(/</g, '‹').replace(/>/g, '›'));
const escapeAttribute = (text: string) => text.replace(/"/g, "'").replace(/[<>]/g, ' ');

export function buildMessages(system: string, history: PromptTurn[], user: string): ChatMessage[] {
  return [{ role: 'system', content: system }, ...history.map((turn) => ({ role: turn.role, content: turn.content })), { role: 'user', content: user }];
}
