import { parse as parseYaml } from 'yaml';
import type { Section } from '../chunker.js';
import { type SourceDocument, UnreadableFileError } from '../document.js';
import { audiencesField, decodeText, publicUrl, titleFromPath } from './text-content.js';

/** Markdown with optional YAML front matter (`title`, `product_line`, `lang`, `url`, `audiences`); headings become heading paths. */
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
  const { sections, firstHeading } = markdownSections(dropScriptsAndStyles(text));
  const title = stringField(frontMatter.title) ?? firstHeading ?? titleFromPath(relativePath);
  if (sections.length === 0) throw new UnreadableFileError('no text content');
  // Where customers can read it: citations link there.
  const url = publicUrl(frontMatter.url);
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

function markdownSections(text: string): { sections: Section[]; firstHeading?: string } {
  const sections: Section[] = [];
  const path: string[] = [];
  let buffer: string[] = [];
  let firstHeading: string | undefined;
  let inFence = false;
  const flush = () => {
    const body = buffer.join('\n').trim();
    if (body) sections.push({ headingPath: [...path], text: body });
    buffer = [];
  };
  for (const line of text.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
    const heading = inFence ? null : /^(#{1,6})\s+(.+?)\s*#*\s*$/.exec(line);
    if (heading) {
      flush();
      const level = heading[1].length;
      const title = stripInline(heading[2]);
      firstHeading ??= title;
      path.length = Math.min(path.length, level - 1);
      while (path.length < level - 1) path.push('');
      path[level - 1] = title;
      continue;
    }
    buffer.push(inFence ? line : stripInline(line));
  }
  flush();
  return { sections: sections.map((section) => ({ ...section, headingPath: section.headingPath.filter(Boolean) })), firstHeading };
}

/** Drops Markdown syntax that carries no meaning for retrieval, keeping link and image text. */
function stripInline(line: string): string {
  return line
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
    .replace(/(\*\*|__)(.+?)\1/g, '$2')
    .replace(/(^|[^*])\*(?!\s)(.+?)\*/g, '$1$2')
    .replace(/`([^`]+)`/g, '$1')
    .replace(/^\s*>\s?/, '')
    .replace(/^\s*\|?\s*:?-{3,}.*$/, '')
    .replace(/<[^>]+>/g, '');
}

const stringField = (value: unknown) => (typeof value === 'string' && value.trim() ? value.trim() : undefined);
const languageField = (value: unknown) => (value === 'zh' || value === 'en' ? value : undefined);
