import { PDFParse } from 'pdf-parse';
import { type Section, tableText } from '../chunker.js';
import { type SourceDocument, UnreadableFileError } from '../document.js';
import { titleFromPath } from './text-content.js';

/** PDF manuals through pdf-parse. One section per page ("p. 3"), so citations can point at a page. */
export async function loadPdf(buffer: Buffer, relativePath: string): Promise<SourceDocument[]> {
  if (buffer.length === 0) throw new UnreadableFileError('empty file');
  if (buffer.subarray(0, 1024).indexOf('%PDF-') === -1) throw new UnreadableFileError('not a PDF file (no %PDF header)');
  const parser = new PDFParse({ data: new Uint8Array(buffer) });
  try {
    // getText first: a failed getInfo leaves the parser unusable and hides the real error (e.g. a password).
    const result = await parser.getText();
    const info = await parser.getInfo().catch(() => undefined);
    const sections = result.pages.flatMap((page) => pageSections(page.text, [`p. ${page.num}`])).filter((section) => section.text.length > 0);
    if (sections.length === 0) throw new UnreadableFileError('no extractable text (scanned or empty PDF)');
    const infoTitle = (info?.info as Record<string, unknown> | undefined)?.Title;
    const title = typeof infoTitle === 'string' && infoTitle.trim() ? infoTitle.trim() : titleFromPath(relativePath);
    return [{ docId: relativePath, sourcePath: relativePath, title, kind: 'passage', sections }];
  } catch (error) {
    if (error instanceof UnreadableFileError) throw error;
    const name = (error as Error)?.name ?? '';
    if (/password/i.test(name) || /password/i.test(String((error as Error)?.message))) {
      throw new UnreadableFileError('encrypted PDF (password required)');
    }
    throw new UnreadableFileError(`unreadable PDF: ${(error as Error)?.message ?? String(error)}`);
  } finally {
    await parser.destroy().catch(() => undefined);
  }
}

/**
 * A page's text, with its tables as table sections. pdf-parse marks a wide horizontal gap between two pieces of
 * text on one line with a tab: three or more lines in a row with the same number (two or more) of tab-separated
 * cells are read as a table whose first line is the header. That finds tables laid out in columns; a table whose
 * cells wrap onto several lines, or whose columns sit close together, stays text (PDFs keep no table structure).
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
    if (end - index >= 3) {
      flushProse();
      // Every row repeats its column's header: bounded, or a long first line over many short rows multiplies the text.
      const table = { header: cells(lines[index]!).map((cell) => cell.slice(0, 200)), rows: lines.slice(index + 1, end).map(cells) };
      sections.push({ headingPath, text: tableText(table), table });
      index = end;
    } else {
      prose.push(lines[index]!.replace(/\t/g, ' '));
      index++;
    }
  }
  flushProse();
  return sections;
}

/** PDF text comes back wrapped at the page width; a line break between two Han characters is not a real one. */
function unwrapCjkLines(text: string): string {
  return text.replace(/([\u3400-\u9fff\uff00-\uffef，、：；])\n(?=[\u3400-\u9fff\uff00-\uffef])/g, '$1');
}
