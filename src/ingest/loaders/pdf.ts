import { getDocument, VerbosityLevel } from 'pdfjs-dist/legacy/build/pdf.mjs';
import type { PDFPageProxy, TextItem } from 'pdfjs-dist/types/src/display/api.js';
import { type Section, type TableBlock, tableText } from '../chunker.js';
import { pageHeading } from '../../store/knowledge-store.js';
import { type SourceDocument, UnreadableFileError } from '../document.js';
import { type Column, findTables, notATable, type PdfTextItem } from './pdf-layout.js';
import { titleFromPath } from './text-content.js';

/**
 * PDF manuals through pdf.js. One section per page ("p. 3"), so citations can point at a page; tables found from
 * where the text sits (pdf-layout.ts) become table sections, and a table running onto the next page goes on there.
 */
export async function loadPdf(buffer: Buffer, relativePath: string): Promise<SourceDocument[]> {
  if (buffer.length === 0) throw new UnreadableFileError('empty file');
  if (buffer.subarray(0, 1024).indexOf('%PDF-') === -1) throw new UnreadableFileError('not a PDF file (no %PDF header)');
  // A copy: pdf.js takes over the array it is given.
  const task = getDocument({ data: new Uint8Array(buffer), verbosity: VerbosityLevel.ERRORS });
  try {
    const pdf = await task.promise;
    const sections: Section[] = [];
    let carried: CarriedTable | undefined;
    for (let num = 1; num <= pdf.numPages; num++) {
      const page = await pdf.getPage(num);
      const items = await pageItems(page);
      const { height } = page.getViewport({ scale: 1 });
      page.cleanup();
      const read = pdfPageSections(items, height, [pageHeading(num)], carried);
      sections.push(...read.sections);
      carried = read.carried;
    }
    const kept = sections.filter((section) => section.text.length > 0);
    if (kept.length === 0) throw new UnreadableFileError('no extractable text (scanned or empty PDF)');
    const metadata = await pdf.getMetadata().catch(() => undefined);
    const infoTitle = (metadata?.info as Record<string, unknown> | undefined)?.Title;
    const title = typeof infoTitle === 'string' && infoTitle.trim() ? infoTitle.trim() : titleFromPath(relativePath);
    return [{ docId: relativePath, sourcePath: relativePath, title, kind: 'passage', sections: kept }];
  } catch (error) {
    if (error instanceof UnreadableFileError) throw error;
    const name = (error as Error)?.name ?? '';
    if (/password/i.test(name) || /password/i.test(String((error as Error)?.message))) {
      throw new UnreadableFileError('encrypted PDF (password required)');
    }
    throw new UnreadableFileError(`unreadable PDF: ${(error as Error)?.message ?? String(error)}`);
  } finally {
    await task.destroy().catch(() => undefined);
  }
}

async function pageItems(page: PDFPageProxy): Promise<PdfTextItem[]> {
  const viewport = page.getViewport({ scale: 1 });
  const content = await page.getTextContent();
  return content.items
    .filter((item): item is TextItem => 'str' in item)
    .map((item) => {
      const [x, y] = viewport.convertToViewportPoint(item.transform[4], item.transform[5]) as [number, number];
      return { str: item.str, x, y, width: item.width, height: item.height, hasEOL: item.hasEOL };
    });
}

/** The previous page's last table, when it ran to the bottom of its page. */
interface CarriedTable {
  columns: Column[];
  header: string[];
  caption?: string;
}

/**
 * A page's sections: its tables (pdf-layout.ts) as table sections where they stand in the page's reading order,
 * the text around them as before (pageSections). Returns the table the next page may continue.
 */
export function pdfPageSections(
  items: readonly PdfTextItem[],
  pageHeight: number,
  headingPath: string[],
  carried?: CarriedTable,
): { sections: Section[]; carried?: CarriedTable } {
  const tables = findTables(items, pageHeight, carried?.columns);
  if (!tables.length) return { sections: pageSections(itemsText(items), headingPath) };
  const inTable = new Set(tables.flatMap((table) => [...table.items]));
  // A loop, not Math.min(...items): a page of many thousand items would overflow the call stack.
  const span = (items: Set<number>) => {
    let first = Number.POSITIVE_INFINITY;
    let last = -1;
    for (const index of items) {
      first = Math.min(first, index);
      last = Math.max(last, index);
    }
    return { first, last };
  };
  const placed = tables.map((table) => ({ table, ...span(table.items) })).sort((a, b) => a.first - b.first);
  const sections: Section[] = [];
  let prose: PdfTextItem[] = [];
  let cursor = 0;
  const flushProse = () => {
    sections.push(...pageSections(itemsText(prose), headingPath));
    prose = [];
  };
  let next: CarriedTable | undefined;
  for (const { table, first, last } of placed) {
    for (; cursor < first; cursor++) if (!inTable.has(cursor)) prose.push(items[cursor]!);
    flushProse();
    // Every row repeats its column's header: bounded, or a long first line over many short rows multiplies the text.
    const header = (table.continued ? carried!.header : table.header!).map((cell) => cell.slice(0, 200));
    const caption = table.continued ? carried!.caption : table.caption;
    // A continued table may repeat its header at the top of the page.
    const rows = table.continued && table.rows[0]?.join('\t') === header.join('\t') ? table.rows.slice(1) : table.rows;
    const block: TableBlock = { header, rows, ...(caption ? { caption } : {}) };
    if (rows.length) sections.push({ headingPath, text: tableText(block), table: block });
    // Text drawn among the table's items in the content stream but not part of it reads after the table.
    for (; cursor <= last; cursor++) if (!inTable.has(cursor) && items[cursor]!.str.trim()) prose.push(items[cursor]!);
    if (table === tables[tables.length - 1] && table.endsPage) next = { columns: table.columns, header, ...(caption ? { caption } : {}) };
  }
  for (; cursor < items.length; cursor++) if (!inTable.has(cursor)) prose.push(items[cursor]!);
  flushProse();
  return { sections, ...(next ? { carried: next } : {}) };
}

/**
 * A run of text items as lines, the way pdf-parse 2.4 (which Kefu used before) joins them, so the text of pages
 * without tables reads as it did: a new line where the baseline moves by more than the line so far is high, a tab
 * where a gap on one line is wider than 7 units (pageSections reads runs of tabbed lines as tables).
 */
export function itemsText(items: readonly PdfTextItem[]): string {
  const parts: string[] = [];
  let lastX: number | undefined;
  let lastY: number | undefined;
  let lineHeight = 0;
  for (const item of items) {
    let text = item.str;
    if (lastY !== undefined && Math.abs(lastY - item.y) > 4.6) {
      const startsLine = text.startsWith('\n') || (text.trim() === '' && item.hasEOL);
      const previous = parts[parts.length - 1];
      if (previous !== undefined && !previous.endsWith('\n') && !startsLine && Math.abs(lastY - item.y) - 1 > lineHeight) {
        parts.push('\n');
        lineHeight = 0;
      }
    }
    if (lastY !== undefined && Math.abs(lastY - item.y) < 4.6 && lastX !== undefined && Math.abs(lastX - item.x) > 7) text = `\t${text}`;
    parts.push(text);
    lastX = item.x + item.width;
    lastY = item.y;
    lineHeight = Math.max(lineHeight, item.height);
    if (item.hasEOL) parts.push('\n');
    if (item.hasEOL || text.endsWith('\n')) lineHeight = 0;
  }
  return parts.join('');
}

/**
 * A page's text (or the text around its tables), with runs of tabbed lines as table sections. itemsText marks a
 * wide horizontal gap between two pieces of text on one line with a tab: three or more lines in a row with the same
 * number (two or more) of tab-separated cells are read as a table whose first line is the header. The layout rules
 * (pdf-layout.ts) have read tables first; this reads tabbed lines they leave (rows further apart than a table's).
 */
export function pageSections(text: string, headingPath: string[]): Section[] {
  const lines = text.split('\n');
  const sections: Section[] = [];
  let prose: string[] = [];
  const flushProse = () => {
    const body = unwrapCjkLines(prose.join('\n').replace(/[ \t]+\n/g, '\n')).trim();
    if (body) sections.push({ headingPath, text: body });
    prose = [];
  };
  const cells = (line: string) => line.split('\t').map((cell) => cell.trim());
  for (let index = 0; index < lines.length; ) {
    const width = lines[index]!.includes('\t') ? cells(lines[index]!).length : 0;
    let end = index;
    while (width >= 2 && end < lines.length && lines[end]!.includes('\t') && cells(lines[end]!).length === width) end++;
    const run = end - index >= 3 ? lines.slice(index, end).map(cells) : undefined;
    if (run && !notATable(run)) {
      flushProse();
      // Every row repeats its column's header: bounded, or a long first line over many short rows multiplies the text.
      const table = { header: run[0]!.map((cell) => cell.slice(0, 200)), rows: run.slice(1) };
      sections.push({ headingPath, text: tableText(table), table });
      index = end;
    } else {
      // Tabbed prose (two columns read across) is passed whole: starting again at each of its lines would be quadratic.
      const next = run ? end : index + 1;
      for (; index < next; index++) prose.push(lines[index]!.replace(/\t/g, ' '));
    }
  }
  flushProse();
  return sections;
}

/** PDF text comes back wrapped at the page width; a line break between two Han characters is not a real one. */
function unwrapCjkLines(text: string): string {
  return text.replace(/([\u3400-\u9fff\uff00-\uffef，、：；])\n(?=[\u3400-\u9fff\uff00-\uffef])/g, '$1');
}
