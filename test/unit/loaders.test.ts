import { describe, expect, it } from 'vitest';
import { UnreadableFileError } from '../../src/ingest/document.js';
import { loadHtml } from '../../src/ingest/loaders/html.js';
import { loadMarkdown } from '../../src/ingest/loaders/markdown.js';
import { loadPdf } from '../../src/ingest/loaders/pdf.js';
import { loadPlainText } from '../../src/ingest/loaders/plain-text.js';
import { loadCsv, loadJson, loadJsonLines } from '../../src/ingest/loaders/records.js';
import { makePdf } from '../support/pdf.js';

const buffer = (text: string) => Buffer.from(text, 'utf8');

describe('Markdown', () => {
  it('reads front matter and turns headings into heading paths', () => {
    const [document] = loadMarkdown(buffer('---\ntitle: Guide\nproduct_line: B\nlang: en\n---\n# Guide\nIntro.\n## Setup\nStep **one**.\n### Pairing\nUse the [app](http://x).\n```\n# not a heading\n```\n'), 'wearables/guide.md');
    expect(document).toMatchObject({ docId: 'wearables/guide.md', title: 'Guide', productLine: 'B', lang: 'en', kind: 'passage' });
    expect(document.sections.map((section) => [section.headingPath.join(' > '), section.text])).toEqual([
      ['Guide', 'Intro.'],
      ['Guide > Setup', 'Step one.'],
      ['Guide > Setup > Pairing', 'Use the app.\n```\n# not a heading\n```'],
    ]);
  });
  it("drops the contents of raw <script> and <style> elements (never text for a customer), but not code in a fence", () => {
    const [document] = loadMarkdown(buffer("# Lamp\nBefore.\n<script>\nalert('body')\n</script>\n<STYLE type=\"text/css\">p { color: red }</STYLE>\nInline <script>alert('inline')</script>after.\n```html\n<script>shown('on purpose')</script>\n```\n<script>never('closed')\nEnd."), 'lamp.md');
    const text = document!.sections.map((section) => section.text).join('\n');
    expect(text).not.toMatch(/alert|color: red|never\('closed'\)|End\./);
    expect(text).toContain('Before.');
    expect(text).toContain('Inline after.');
    expect(text).toContain("<script>shown('on purpose')</script>");
  });
  it('rejects broken front matter with a reason', () => {
    expect(() => loadMarkdown(buffer('---\ntitle: [unclosed\n---\nbody'), 'x.md')).toThrow(/front matter/);
  });
});

describe('HTML', () => {
  it('uses h1–h6 as headings and drops script, style and nav', () => {
    const [document] = loadHtml(buffer('<html lang="zh"><head><title>标题</title><style>p{}</style></head><body><nav>菜单</nav><h1>标题</h1><p>第一段。</p><script>alert(1)</script><h2>小节</h2><ul><li>一</li><li>二</li></ul></body></html>'), 'a.html');
    expect(document.title).toBe('标题');
    expect(document.lang).toBe('zh');
    expect(document.sections).toEqual([
      { headingPath: ['标题'], text: '第一段。' },
      { headingPath: ['标题', '小节'], text: '一\n二' },
    ]);
  });
});

describe('plain text and bad text files', () => {
  it('takes a short first line as the title', () => {
    const [document] = loadPlainText(buffer('Quick start\n\nPlug it in.'), 'q.txt');
    expect(document.title).toBe('Quick start');
    expect(document.sections[0].text).toBe('Plug it in.');
  });
  it.each([
    ['empty', Buffer.alloc(0), /empty file/],
    ['whitespace only', buffer('  \n\n '), /empty/],
    ['binary', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00, 0x12]), /binary/],
    ['not UTF-8', Buffer.from([0x48, 0xff, 0xfe, 0x41]), /UTF-8/],
  ])('refuses a %s file with a reason', (_name, content, reason) => {
    expect(() => loadPlainText(content, 'bad.txt')).toThrow(reason);
  });
});

describe('FAQ sheets', () => {
  it('turns each CSV row into one FAQ document and reports a malformed row without losing the rest', () => {
    const result = loadCsv(buffer('id,question,answer,product_line\nq1,How?,Like this.,A\nq2,Only a question\nq3,"多久？","两天。",B\n'), 'faq.csv');
    expect(result.documents.map((document) => [document.docId, document.kind, document.productLine, document.lang])).toEqual([
      ['q1', 'faq', 'A', 'en'],
      ['q3', 'faq', 'B', 'zh'],
    ]);
    expect(result.documents[0].sections).toEqual([{ headingPath: [], text: 'How?\nLike this.' }]);
    expect(result.failures).toEqual([{ path: 'faq.csv:row 3', reason: 'fewer columns than the header' }]);
  });
  it('reports invalid JSON lines and duplicate ids in JSONL', () => {
    const result = loadJsonLines(buffer('{"id":"a","question":"Q","answer":"A"}\n{oops\n{"id":"a","question":"Q2","answer":"A2"}\n{"id":"b","question":"","answer":"x"}\n'), 'f.jsonl');
    expect(result.documents.map((document) => document.docId)).toEqual(['a']);
    expect(result.failures.map((failure) => failure.path)).toEqual(['f.jsonl:line 2', 'f.jsonl:line 3', 'f.jsonl:line 4']);
    expect(result.failures[1].reason).toMatch(/duplicate id/);
    expect(result.failures[2].reason).toMatch(/question/);
  });
  it('reads corpus lines, keeping the id and other fields as metadata', () => {
    const result = loadJsonLines(buffer('{"id":"d1","title":"T","text":"Some text.","lang":"en","source":"wiki"}\n'), 'c.jsonl');
    expect(result.documents[0]).toMatchObject({ docId: 'd1', title: 'T', kind: 'passage', lang: 'en', metadata: { source: 'wiki' } });
  });
  it('reads a JSON array and refuses a JSON object of the wrong shape', () => {
    expect(loadJson(buffer('[{"id":1,"question":"Q","answer":"A"}]'), 'f.json').documents[0].docId).toBe('1');
    expect(() => loadJson(buffer('{"x":1}'), 'f.json')).toThrow(UnreadableFileError);
  });
});

describe('PDF', () => {
  it('extracts text page by page with the document title', async () => {
    const pdf = await makePdf(['First page about pairing.', 'Second page about resetting.']);
    const [document] = await loadPdf(pdf, 'm.pdf');
    expect(document.title).toBe('Test manual');
    expect(document.sections.map((section) => section.headingPath[0])).toEqual(['p. 1', 'p. 2']);
    expect(document.sections[1].text).toContain('resetting');
  });
  it('reports a corrupt PDF', async () => {
    const pdf = await makePdf(['Some text']);
    const corrupt = Buffer.concat([pdf.subarray(0, 200), Buffer.from('garbage'.repeat(20))]);
    await expect(loadPdf(corrupt, 'c.pdf')).rejects.toThrow(/unreadable PDF|no extractable text/);
  });
  it('reports an encrypted PDF as needing a password', async () => {
    const pdf = await makePdf(['Secret'], { userPassword: 'secret', ownerPassword: 'owner', pdfVersion: '1.7' });
    await expect(loadPdf(pdf, 'e.pdf')).rejects.toThrow(/encrypted PDF/);
  });
  it('reports a file that is not a PDF at all', async () => {
    await expect(loadPdf(buffer('hello'), 'x.pdf')).rejects.toThrow(/not a PDF/);
  });
});

describe('a CSV sheet with one broken row', () => {
  it('keeps the rows around an unclosed quote and reports the broken one', () => {
    const sheet = 'id,question,answer,product_line\nf1,Q one?,A one.,A\nf2,"Q two?,A two.,A\nf3,Q three?,A three.,B\n';
    const result = loadCsv(buffer(sheet), 'faq.csv');
    expect(result.documents.map((document) => document.docId)).toEqual(['f1', 'f3']);
    expect(result.failures).toHaveLength(1);
    expect(result.failures[0].path).toBe('faq.csv:line 3');
  });
});

describe('public page addresses for citations', () => {
  it('takes a markdown front-matter url, an HTML canonical link or og:url, and a FAQ sheet url column; only http(s)', () => {
    expect(loadMarkdown(Buffer.from('---\nurl: https://help.example.com/a\n---\n# A\ntext'), 'a.md')[0]!.metadata).toEqual({ url: 'https://help.example.com/a' });
    expect(loadMarkdown(Buffer.from('---\nurl: javascript:alert(1)\n---\n# A\ntext'), 'a.md')[0]!.metadata).toBeUndefined();
    expect(loadHtml(Buffer.from('<html><head><link rel="canonical" href="https://help.example.com/h"></head><body><p>text</p></body></html>'), 'h.html')[0]!.metadata).toEqual({ url: 'https://help.example.com/h' });
    expect(loadHtml(Buffer.from('<html><head><meta property="og:url" content="https://help.example.com/og"></head><body><p>text</p></body></html>'), 'h.html')[0]!.metadata).toEqual({ url: 'https://help.example.com/og' });
    const faq = loadCsv(Buffer.from('id,question,answer,url\nq1,How?,Like this.,https://help.example.com/faq/q1\nq2,Why?,Because.,\n'), 'faq.csv').documents;
    expect(faq[0]!.metadata).toMatchObject({ url: 'https://help.example.com/faq/q1' });
    expect(faq[1]!.metadata).not.toHaveProperty('url');
  });
});
