import { HTMLElement, NodeType, parse } from 'node-html-parser';
import type { Section } from '../chunker.js';
import { type SourceDocument, UnreadableFileError } from '../document.js';
import { decodeText, publicUrl, titleFromPath } from './text-content.js';

const BLOCK = new Set(['p', 'div', 'li', 'tr', 'section', 'article', 'br', 'table', 'ul', 'ol', 'dd', 'dt', 'blockquote', 'pre', 'td', 'th']);
const SKIP = new Set(['script', 'style', 'noscript', 'template', 'svg', 'nav', 'footer', 'head']);

/** HTML pages: h1–h6 give the heading path, block elements give line breaks; script/style/nav are dropped. */
export function loadHtml(buffer: Buffer, relativePath: string): SourceDocument[] {
  const root = parse(decodeText(buffer), { comment: false });
  const meta = (name: string) => root.querySelector(`meta[name="${name}"]`)?.getAttribute('content')?.trim();
  const sections: Section[] = [];
  const path: string[] = [];
  let lines: string[] = [''];
  const flush = () => {
    const body = lines.map((line) => line.replace(/\s+/g, ' ').trim()).filter(Boolean).join('\n');
    if (body) sections.push({ headingPath: path.filter(Boolean), text: body });
    lines = [''];
  };
  const walk = (node: HTMLElement) => {
    for (const child of node.childNodes) {
      if (child.nodeType === NodeType.TEXT_NODE) {
        lines[lines.length - 1] += child.text;
        continue;
      }
      if (!(child instanceof HTMLElement)) continue;
      const tag = child.rawTagName?.toLowerCase() ?? '';
      if (SKIP.has(tag)) continue;
      const heading = /^h([1-6])$/.exec(tag);
      if (heading) {
        flush();
        const level = Number(heading[1]);
        path.length = Math.min(path.length, level - 1);
        while (path.length < level - 1) path.push('');
        path[level - 1] = child.text.replace(/\s+/g, ' ').trim();
        continue;
      }
      if (BLOCK.has(tag)) lines.push('');
      walk(child);
      if (BLOCK.has(tag)) lines.push('');
    }
  };
  walk((root.querySelector('body') ?? root) as HTMLElement);
  flush();
  if (sections.length === 0) throw new UnreadableFileError('no text content');
  const title = root.querySelector('title')?.text.trim() || root.querySelector('h1')?.text.trim() || titleFromPath(relativePath);
  const lang = root.querySelector('html')?.getAttribute('lang')?.slice(0, 2);
  // The page's public address: its canonical link, else og:url.
  const url = publicUrl(root.querySelector('link[rel="canonical"]')?.getAttribute('href') ?? root.querySelector('meta[property="og:url"]')?.getAttribute('content'));
  return [
    {
      docId: relativePath,
      sourcePath: relativePath,
      title,
      kind: 'passage',
      sections,
      productLine: meta('product-line'),
      lang: lang === 'zh' || lang === 'en' ? lang : undefined,
      ...(url ? { metadata: { url } } : {}),
    },
  ];
}
