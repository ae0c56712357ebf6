import type { SourceInfo } from '../answer/answer-service.js';

/** How a platform shows text: its size limit per message, and how many messages one answer may take. */
export interface ReplyFormat {
  /** Bytes of UTF-8 per message (WeChat and WeCom text messages: 2048). */
  maxBytes: number;
  /** Messages per answer (WeCom customer service allows 5 per customer message). */
  maxParts: number;
}

/**
 * Markdown to the plain text chat apps show: WeChat and WeCom render none of it, so "**bold**" would reach the
 * customer with its asterisks. Emphasis and code marks are dropped, headings become lines, list bullets "• ",
 * and links "text (url)". Linear: each rule is a single pass without nested quantifiers.
 */
export function plainText(markdown: string): string {
  return markdown
    .replace(/```[^\n]*\n?/g, '')
    .replace(/`([^`\n]*)`/g, '$1')
    .replace(/!\[([^\]\n]*)\]\(([^)\s]*)\)/g, '$1 ($2)')
    .replace(/\[([^\]\n]+)\]\((https?:[^)\s]*)\)/g, '$1 ($2)')
    .replace(/^[ \t]{0,3}#{1,6}[ \t]+/gm, '')
    .replace(/^([ \t]*)[-*+][ \t]+/gm, '$1• ')
    .replace(/\*\*([^*\n]+)\*\*/g, '$1')
    .replace(/__([^_\n]+)__/g, '$1')
    .replace(/(^|[^\w*])\*([^*\n]+)\*(?!\w)/g, '$1$2')
    .replace(/^[ \t]*>[ \t]?/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** The sources as lines the customer can tap: "[1] Title — Section https://…". */
export function sourceLines(citations: SourceInfo[], lang: 'zh' | 'en'): string {
  if (!citations.length) return '';
  const lines = citations.map((source) => `[${source.n}] ${source.title}${source.heading && source.heading !== source.title ? ` — ${source.heading}` : ''}${source.url ? ` ${source.url}` : ''}`);
  return `${lang === 'zh' ? '来源：' : 'Sources:'}\n${lines.join('\n')}`;
}

const utf8Bytes = (text: string) => Buffer.byteLength(text, 'utf8');

/**
 * Cuts text into messages of at most `maxBytes` UTF-8 bytes, at a line break, else after a sentence mark, else
 * between characters (never inside one); past `maxParts` the last message ends with "…".
 */
export function splitMessages(text: string, format: ReplyFormat): string[] {
  const parts: string[] = [];
  let rest = text.trim();
  while (rest && parts.length < format.maxParts) {
    if (utf8Bytes(rest) <= format.maxBytes) {
      parts.push(rest);
      rest = '';
      break;
    }
    // The longest prefix within the limit, in code points.
    let bytes = 0;
    let cut = 0;
    for (const char of rest) {
      const size = utf8Bytes(char);
      if (bytes + size > format.maxBytes - 3) break;
      bytes += size;
      cut += char.length;
    }
    const window = rest.slice(0, cut);
    const lineBreak = window.lastIndexOf('\n');
    const sentence = Math.max(...['。', '！', '？', '. ', '! ', '? '].map((mark) => window.lastIndexOf(mark)));
    const at = lineBreak > cut / 2 ? lineBreak + 1 : sentence > cut / 2 ? sentence + 1 : cut;
    parts.push(rest.slice(0, at).trim());
    rest = rest.slice(at).trim();
  }
  if (rest && parts.length) {
    const last = parts.pop()!;
    let trimmed = last;
    while (utf8Bytes(`${trimmed}…`) > format.maxBytes) trimmed = [...trimmed].slice(0, -1).join('');
    parts.push(`${trimmed}…`);
  }
  return parts.filter(Boolean);
}

/**
 * The answer as the platform's messages: plain text, the sources with their links, and the visible label at the
 * end of the last message, where a cut answer's "…" can never swallow it.
 */
export function formatReply(answer: { text: string; citations: SourceInfo[]; notice?: string | null }, lang: 'zh' | 'en', label: string, format: ReplyFormat): string[] {
  const blocks = [plainText(answer.text)];
  if (answer.notice) blocks.push(answer.notice);
  const sources = sourceLines(answer.citations, lang);
  if (sources) blocks.push(sources);
  const suffix = label ? `\n\n— ${label}` : '';
  const parts = splitMessages(blocks.join('\n\n'), { ...format, maxBytes: format.maxBytes - utf8Bytes(suffix) });
  if (suffix && parts.length) parts[parts.length - 1] += suffix;
  return parts;
}
