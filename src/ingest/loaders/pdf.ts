import { PDFParse } from 'pdf-parse';
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
    const sections = result.pages
      .map((page) => ({ headingPath: [`p. ${page.num}`], text: unwrapCjkLines(page.text.replace(/[ \t]+\n/g, '\n')).trim() }))
      .filter((section) => section.text.length > 0);
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

/** PDF text comes back wrapped at the page width; a line break between two Han characters is not a real one. */
function unwrapCjkLines(text: string): string {
  return text.replace(/([\u3400-\u9fff\uff00-\uffef，、：；])\n(?=[\u3400-\u9fff\uff00-\uffef])/g, '$1');
}
