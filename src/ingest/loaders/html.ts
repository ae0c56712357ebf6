import { HTMLElement, NodeType, parse } from 'node-html-parser';
import type { TableBlock } from '../chunker.js';
import { type SourceDocument, UnreadableFileError } from '../document.js';
import { resolveUrl, SectionBuilder } from './section-builder.js';
import { decodeText, publicUrl, titleFromPath } from './text-content.js';

const BLOCK = new Set(['p', 'div', 'li', 'tr', 'section', 'article', 'br', 'ul', 'ol', 'dd', 'dt', 'blockquote', 'pre', 'td', 'th', 'figure', 'figcaption']);
const SKIP = new Set(['script', 'style', 'noscript', 'template', 'svg', 'nav', 'footer', 'head']);

export interface HtmlOptions {
  /** The page's address, for relative image URLs (a crawled page's URL); else its canonical link. */
  baseUrl?: string;
}

/**
 * HTML pages: h1–h6 give the heading path (and their ids the citation anchors), block elements give line breaks,
 * tables become table sections (rows under their header cells), images references with their alt text and
 * figure caption; script/style/nav are dropped.
 */
export function loadHtml(buffer: Buffer, relativePath: string, options: HtmlOptions = {}): SourceDocument[] {
  const root = parse(decodeText(buffer), { comment: false });
  const meta = (name: string) => root.querySelector(`meta[name="${name}"]`)?.getAttribute('content')?.trim();
  // The page's public address: its canonical link, else og:url.
  const url = publicUrl(root.querySelector('link[rel="canonical"]')?.getAttribute('href') ?? root.querySelector('meta[property="og:url"]')?.getAttribute('content'));
  const base = options.baseUrl ?? url;
  const builder = new SectionBuilder();
  const addImage = (element: HTMLElement, caption?: string) => {
    const src = resolveUrl(element.getAttribute('src'), base);
    const alt = clean(element.getAttribute('alt') ?? '');
    if (src) builder.image({ url: src, ...(alt ? { alt } : {}), ...(caption ? { caption } : {}) });
    else if (alt) builder.append(` ${alt} `);
  };
  const walk = (node: HTMLElement) => {
    for (const child of node.childNodes) {
      if (child.nodeType === NodeType.TEXT_NODE) {
        builder.append(child.text);
        continue;
      }
      if (!(child instanceof HTMLElement)) continue;
      const tag = child.rawTagName?.toLowerCase() ?? '';
      if (SKIP.has(tag)) continue;
      const heading = /^h([1-6])$/.exec(tag);
      if (heading) {
        builder.heading(Number(heading[1]), clean(child.text), headingAnchor(child));
        continue;
      }
      if (tag === 'img') {
        addImage(child);
        continue;
      }
      if (tag === 'figure' && child.querySelector('img')) {
        const caption = clean(child.querySelector('figcaption')?.text ?? '');
        builder.line('');
        for (const image of child.querySelectorAll('img')) addImage(image, caption || undefined);
        builder.line('');
        continue;
      }
      if (tag === 'table' && !child.querySelector('table')) {
        const table = readTable(child);
        for (const image of child.querySelectorAll('img')) addImage(image);
        builder.table(table);
        continue;
      }
      if (BLOCK.has(tag) || tag === 'table') builder.line('');
      walk(child);
      if (BLOCK.has(tag) || tag === 'table') builder.line('');
    }
  };
  walk((root.querySelector('body') ?? root) as HTMLElement);
  builder.flush();
  const sections = builder.sections;
  if (sections.length === 0) throw new UnreadableFileError('no text content');
  const title = root.querySelector('title')?.text.trim() || root.querySelector('h1')?.text.trim() || titleFromPath(relativePath);
  const lang = root.querySelector('html')?.getAttribute('lang')?.slice(0, 2);
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

const clean = (text: string) => text.replace(/\s+/g, ' ').trim();

/** A heading's anchor: its id, else the id or name of an anchor inside it (`<h2><a id="setup"></a>Setup</h2>`). */
function headingAnchor(heading: HTMLElement): string | undefined {
  const own = heading.getAttribute('id')?.trim();
  if (own) return own;
  const inner = heading.querySelector('a[id], a[name], [id]');
  return inner?.getAttribute('id')?.trim() || inner?.getAttribute('name')?.trim() || undefined;
}

const MAX_HEADER_ROWS = 3;
const MAX_HEADER_LENGTH = 200;

/**
 * A table's header and rows. The header is the `<thead>` row, else a first row of `<th>` cells only; a table with
 * neither has none (its rows are cell text alone). A cell spanning columns repeats under each of them, so a row
 * keeps one cell per header.
 */
export function readTable(table: HTMLElement): TableBlock {
  const rows = table.querySelectorAll('tr').map((row) => ({
    cells: row.childNodes.filter((cell): cell is HTMLElement => cell instanceof HTMLElement && /^t[hd]$/i.test(cell.rawTagName ?? '')),
    inHead: row.parentNode instanceof HTMLElement && row.parentNode.rawTagName?.toLowerCase() === 'thead',
  }));
  const expand = (cells: HTMLElement[]) => cells.flatMap((cell) => Array<string>(Math.min(Math.max(Number(cell.getAttribute('colspan')) || 1, 1), 50)).fill(clean(cell.text)));
  let headerRows = rows.filter((row) => row.inHead);
  if (!headerRows.length && rows[0]?.cells.length && rows[0].cells.every((cell) => cell.rawTagName.toLowerCase() === 'th')) headerRows = [rows[0]];
  // Two header rows (a group over its columns) read as "Group Column".
  const header: string[] = [];
  // Every row repeats its column's header, so the header is bounded (a few rows, a name's length): a page of 10,000
  // header rows made each column's header as long as the table and the table's text past V8's longest string.
  for (const row of headerRows.slice(0, MAX_HEADER_ROWS))
    expand(row.cells).forEach((text, index) => (header[index] = [header[index], text].filter(Boolean).join(' ').slice(0, MAX_HEADER_LENGTH)));
  // A set, not a list lookup per row: a hostile page's thousands of header rows made it header rows × rows.
  const inHeader = new Set(headerRows);
  const body = rows.filter((row) => !inHeader.has(row) && row.cells.length).map((row) => expand(row.cells));
  const caption = clean(table.querySelector('caption')?.text ?? '');
  return { header: Array.from(header, (text) => text ?? ''), rows: body.filter((cells) => cells.some(Boolean)), ...(caption ? { caption } : {}) };
}
