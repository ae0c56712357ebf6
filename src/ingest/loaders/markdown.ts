import { parse as parseYaml } from 'yaml';
import type { Section } from '../chunker.js';
import { type SourceDocument, UnreadableFileError } from '../document.js';
import { resolveUrl, SectionBuilder, slugger } from './section-builder.js';
import { audiencesField, decodeText, publicUrl, titleFromPath } from './text-content.js';

/**
 * Markdown with optional YAML front matter (`title`, `product_line`, `lang`, `url`, `audiences`); headings become
 * heading paths (and anchors: `{#id}` or GitHub's slug), pipe tables table sections, images references resolved
 * against `url`.
 */
export function loadMarkdown(buffer: Buffer, relativePath: string): SourceDocument[] {
  let text = decodeText(buffer);
  let frontMatter: Record<string, unknown> = {};
  const match = /^---\n([\s\S]*?)\n---\n?/.exec(text);
  if (match) {
    try {
      frontMatter = (parseYaml(match[1]) as Record<string, unknown>) ?? {};
    } catch (error) {
      throw new UnreadableFileError(`invalid front matter: ${(error as Error).message.split('\n')[0]}`);
    }
    text = text.slice(match[0].length);
  }
  // Where customers can read it: citations link there, and relative images are resolved against it.
  const url = publicUrl(frontMatter.url);
  const { sections, firstHeading } = markdownSections(dropScriptsAndStyles(text), url);
  const title = stringField(frontMatter.title) ?? firstHeading ?? titleFromPath(relativePath);
  if (sections.length === 0) throw new UnreadableFileError('no text content');
  const audiences = audiencesField(frontMatter.audiences ?? frontMatter.audience);
  return [
    {
      docId: relativePath,
      sourcePath: relativePath,
      title,
      kind: 'passage',
      sections,
      productLine: stringField(frontMatter.product_line),
      lang: languageField(frontMatter.lang),
      ...(url ? { metadata: { url } } : {}),
      ...(audiences ? { audiences } : {}),
    },
  ];
}

/**
 * Raw HTML <script> and <style> elements in Markdown: their contents are code, never text for a customer (the
 * per-line tag stripping left "alert('body')" in the chunk, and an answer quoted it). Dropped outside code fences,
 * where a manual may show such code on purpose; an unclosed one runs to the next fence or the end, as in HTML.
 */
function dropScriptsAndStyles(text: string): string {
  const out: string[] = [];
  let run: string[] = [];
  let inFence = false;
  const flushRun = () => {
    if (run.length) out.push(dropElements(run.join('\n')));
    run = [];
  };
  for (const line of text.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) {
      if (!inFence) flushRun();
      out.push(line);
      inFence = !inFence;
    } else if (inFence) out.push(line);
    else run.push(line);
  }
  flushRun();
  return out.join('\n');
}

const RAW_ELEMENT = /<(script|style)\b[^>]{0,2000}>/gi;

/** One pass, with indexOf for each closing tag: linear in the text. */
function dropElements(text: string): string {
  const lower = text.toLowerCase();
  let result = '';
  let from = 0;
  RAW_ELEMENT.lastIndex = 0;
  for (let match = RAW_ELEMENT.exec(text); match; match = RAW_ELEMENT.exec(text)) {
    result += text.slice(from, match.index);
    const close = lower.indexOf(`</${match[1]!.toLowerCase()}`, RAW_ELEMENT.lastIndex);
    const end = close < 0 ? -1 : lower.indexOf('>', close);
    from = end < 0 ? text.length : end + 1;
    if (from >= text.length) break;
    RAW_ELEMENT.lastIndex = from;
  }
  return result + text.slice(from);
}

function markdownSections(text: string, baseUrl: string | undefined): { sections: Section[]; firstHeading?: string } {
  const builder = new SectionBuilder();
  const slug = slugger();
  let firstHeading: string | undefined;
  let inFence = false;
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!;
    if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
    const heading = inFence ? undefined : atxHeading(line);
    if (heading) {
      // `## Setup {#setup}` (Pandoc, kramdown, Hugo) names its anchor; otherwise the slug a renderer would make.
      const explicit = explicitAnchor(heading.text);
      const title = stripInline(explicit ? explicit.before : heading.text);
      firstHeading ??= title;
      builder.heading(heading.level, title, explicit?.id ?? (slug(title) || undefined));
      continue;
    }
    if (!inFence && isTableRow(line) && isDelimiterRow(lines[index + 1]) && tableCells(lines[index + 1]!).length === tableCells(line).length) {
      const header = tableCells(line);
      const rows: string[][] = [];
      index += 2;
      for (; index < lines.length && isTableRow(lines[index]!); index++) rows.push(withImages(lines[index]!, baseUrl, builder, tableCells));
      index--;
      // Every row repeats its column's header: bounded, or a long header over many short rows multiplies the text.
      builder.table({ header: header.map((cell) => stripInline(cell).slice(0, MAX_HEADER_LENGTH)), rows: rows.map((cells) => cells.map(stripInline)) });
      continue;
    }
    builder.line(inFence ? line : stripInline(withImages(line, baseUrl, builder, (rest) => rest)));
  }
  builder.flush();
  return { sections: builder.sections, firstHeading };
}

// Bounded runs: unbounded, a line of many unclosed `![a](` cost time quadratic in its length (100 kB: 10 s).
const MAX_HEADER_LENGTH = 200;

const MARKDOWN_IMAGE = /!\[([^\]]{0,1000})\]\(\s*<?([^)\s>]{1,2048})>?(?:\s+["']([^"']{0,1000})["'])?\s*\)/g;

/**
 * Takes a line's images out into references (alt text, title as caption), leaving the rest of the line. An image
 * whose address cannot be resolved to http(s) (a relative path in a document without `url`) keeps its alt text inline.
 */
function withImages<T>(line: string, baseUrl: string | undefined, builder: SectionBuilder, then: (rest: string) => T): T {
  const rest = line.replace(MARKDOWN_IMAGE, (_match, alt: string, href: string, title?: string) => {
    const url = resolveUrl(href, baseUrl);
    if (!url) return alt;
    builder.image({ url, ...(alt.trim() ? { alt: alt.trim() } : {}), ...(title?.trim() ? { caption: title.trim() } : {}) });
    return '';
  });
  return then(rest);
}

/** A GitHub pipe-table row: has a pipe outside code (a line of prose with one "|" is rare, and needs the delimiter row below it). */
const isTableRow = (line: string | undefined) => Boolean(line?.includes('|')) && (line ?? '').trim().length > 1;
const isDelimiterRow = (line: string | undefined) => Boolean(line?.includes('-')) && tableCells(line ?? '').every((cell) => /^:?-+:?$/.test(cell));

// Headings are read without a backtracking pattern: `/^(#{1,6})\s+(.+?)\s*#*\s*$/` took time cubic in a line of
// spaces (an 8 kB line: minutes, with the event loop blocked), and `\s*\{#…\}$` quadratic in repeated openings.

/** An ATX heading (`## Title ##`): its level and text, the closing hashes and surrounding spaces dropped. */
function atxHeading(line: string): { level: number; text: string } | undefined {
  const open = /^(#{1,6})\s/.exec(line);
  if (!open) return undefined;
  const body = line.slice(open[1]!.length).trim();
  let end = body.length;
  while (end > 0 && body[end - 1] === '#') end--;
  const text = body.slice(0, end).trimEnd() || body;
  return text ? { level: open[1]!.length, text } : undefined;
}

/** A heading's trailing `{#id}`: the id, and the text before it. */
function explicitAnchor(text: string): { id: string; before: string } | undefined {
  const at = text.lastIndexOf('{#');
  const id = at < 0 ? undefined : /^\{#([^\s}]+)\}$/.exec(text.slice(at))?.[1];
  return id ? { id, before: text.slice(0, at).trimEnd() } : undefined;
}

function tableCells(line: string): string[] {
  const trimmed = line
    .trim()
    .replace(/^\|/, '')
    .replace(/(?<!\\)\|$/, '');
  return trimmed.split(/(?<!\\)\|/).map((cell) => cell.replace(/\\\|/g, '|').trim());
}

/** Drops Markdown syntax that carries no meaning for retrieval, keeping link and image text. */
function stripInline(line: string): string {
  return line
    .replace(/!\[([^\]]{0,1000})\]\([^)]{0,2048}\)/g, '$1')
    .replace(/\[([^\]]{1,1000})\]\([^)]{0,2048}\)/g, '$1')
    .replace(/(\*\*|__)(.+?)\1/g, '$2')
    .replace(/(^|[^*])\*(?!\s)(.+?)\*/g, '$1$2')
    .replace(/`([^`]+)`/g, '$1')
    .replace(/^\s*>\s?/, '')
    .replace(/^\s*\|?\s*:?-{3,}.*$/, '')
    .replace(/<[^>]+>/g, '');
}

const stringField = (value: unknown) => (typeof value === 'string' && value.trim() ? value.trim() : undefined);
const languageField = (value: unknown) => (value === 'zh' || value === 'en' ? value : undefined);
