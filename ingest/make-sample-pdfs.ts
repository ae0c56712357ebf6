/**
 * Regenerates the sample knowledge base's PDF manuals from the Markdown in ingest/pdf-sources/.
 * Run by hand after editing a source (`npx tsx ingest/make-sample-pdfs.ts`); the PDFs are committed so
 * that ingestion exercises real PDF parsing. Chinese text needs a CJK font (Debian: fonts-wqy-microhei).
 */
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import PDFDocument from 'pdfkit';

const CJK_FONT = '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc';
const jobs = [
  { source: 'glow-bulb-troubleshooting.en.md', target: 'knowledge/smart-home/glow-bulb-troubleshooting.en.pdf', title: 'Lumora Glow Bulb — Troubleshooting Manual', cjk: false },
  { source: 'drive-cam-d1-quick-guide.zh.md', target: 'knowledge/in-car/drive-cam-d1-troubleshooting.zh.pdf', title: '朗曜 Drive Cam D1 行车记录仪 常见故障处理手册', cjk: true },
];

for (const job of jobs) {
  if (job.cjk && !existsSync(CJK_FONT)) throw new Error(`Missing ${CJK_FONT}: apt-get install fonts-wqy-microhei`);
  const document = new PDFDocument({ size: 'A4', margin: 56, info: { Title: job.title, Author: 'Lumora Technology' } });
  document.pipe(createWriteStream(job.target));
  if (job.cjk) document.registerFont('body', CJK_FONT, 'WenQuanYiMicroHei');
  const font = job.cjk ? 'body' : 'Helvetica';
  const bold = job.cjk ? 'body' : 'Helvetica-Bold';
  const markdown = readFileSync(path.join('ingest/pdf-sources', job.source), 'utf8');
  for (const line of markdown.split('\n')) {
    if (line.startsWith('# ')) document.font(bold).fontSize(18).text(line.slice(2)).moveDown(0.8);
    else if (line.startsWith('## ')) document.font(bold).fontSize(13).text(line.slice(3)).moveDown(0.3);
    else if (line.trim()) document.font(font).fontSize(10.5).text(line, { align: 'left' }).moveDown(0.6);
  }
  document.end();
  console.log(`wrote ${job.target}`);
}
