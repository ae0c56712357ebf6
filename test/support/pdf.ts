import PDFDocument from 'pdfkit';

/** A real PDF made with pdfkit, one string per page; pass `userPassword` for an encrypted one. */
export function makePdf(pages: string[], options: PDFKit.PDFDocumentOptions = {}): Promise<Buffer> {
  return new Promise((resolve) => {
    const document = new PDFDocument({ ...options, info: { Title: 'Test manual' } });
    const parts: Buffer[] = [];
    document.on('data', (part: Buffer) => parts.push(part));
    document.on('end', () => resolve(Buffer.concat(parts)));
    pages.forEach((page, index) => {
      if (index) document.addPage();
      document.text(page);
    });
    document.end();
  });
}
