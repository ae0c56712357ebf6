import PDFDocument from 'pdfkit';

/** A real PDF made with pdfkit, one string per page; pass `userPassword` for an encrypted one. */
export function makePdf(pages: string[], options: PDFKit.PDFDocumentOptions = {}): Promise<Buffer> {
  return drawPdf(
    pages.map((page) => [{ text: page }]),
    options,
  );
}

/**
 * What a page of `drawPdf` holds, top to bottom: a paragraph; prose set in two columns (pdfkit's `columns`); or a
 * table drawn cell by cell, as report generators draw one (each cell's text placed in its column, rules between
 * rows), its first row the header unless it continues a table from the page before.
 */
export type PdfBlock = { text: string } | { twoColumns: string } | { table: string[][]; widths: number[]; caption?: string };

/** The CJK font the sample PDFs use (ingest/make-sample-pdfs.ts; Debian: fonts-wqy-microhei). */
export const CJK_FONT = { path: '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc', family: 'WenQuanYiMicroHei' };

/**
 * A PDF laid out block by block with pdfkit (10 pt for tables and columns), in Helvetica or, with `cjk`, the
 * CJK font for Chinese text.
 */
export function drawPdf(pages: PdfBlock[][], options: PDFKit.PDFDocumentOptions = {}, cjk = false): Promise<Buffer> {
  return new Promise((resolve) => {
    const document = new PDFDocument({ ...options, info: { Title: 'Test manual' } });
    if (cjk) document.registerFont('cjk', CJK_FONT.path, CJK_FONT.family).font('cjk');
    const parts: Buffer[] = [];
    document.on('data', (part: Buffer) => parts.push(part));
    document.on('end', () => resolve(Buffer.concat(parts)));
    pages.forEach((blocks, index) => {
      if (index) document.addPage();
      for (const block of blocks) drawBlock(document, block);
    });
    document.end();
  });
}

function drawBlock(document: PDFKit.PDFDocument, block: PdfBlock): void {
  const left = document.page.margins.left;
  const width = document.page.width - left - document.page.margins.right;
  if ('text' in block) {
    document.text(block.text);
    return;
  }
  document.fontSize(10);
  if ('twoColumns' in block) {
    // Without a height pdfkit fills the first column down to the page's end: half the text's height splits it evenly.
    const height = document.heightOfString(block.twoColumns, { width: (width - 18) / 2 }) / 2 + 14;
    document.text(block.twoColumns, left, document.y, { columns: 2, columnGap: 18, width, height, align: 'left' });
    document.moveDown();
    return;
  }
  if (block.caption) document.text(block.caption, left, document.y + 6).moveDown(0.3);
  const padding = 4;
  for (const row of block.table) {
    const top = document.y;
    const height = Math.max(...row.map((cell, column) => document.heightOfString(cell, { width: block.widths[column]! - 2 * padding }))) + 2 * padding;
    let x = left;
    row.forEach((cell, column) => {
      document.text(cell, x + padding, top + padding, { width: block.widths[column]! - 2 * padding });
      x += block.widths[column]!;
    });
    document
      .moveTo(left, top + height)
      .lineTo(x, top + height)
      .stroke();
    document.x = left;
    document.y = top + height;
  }
  document.moveDown();
}
