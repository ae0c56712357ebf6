import { describe, expect, it } from 'vitest';
import { extractiveAnswer } from '../../src/answer/extractive.js';
import { SourceUrls } from '../../src/answer/source-urls.js';
import { chunkSections } from '../../src/ingest/chunker.js';
import { loadHtml } from '../../src/ingest/loaders/html.js';
import { loadMarkdown } from '../../src/ingest/loaders/markdown.js';
import { pageSections } from '../../src/ingest/loaders/pdf.js';
import { extractPage } from '../../src/ingest/sources/extract-page.js';
import { EXTRACTOR_VERSION, staleExtraction } from '../../src/ingest/sources/snapshot.js';
import { loadPdf } from '../../src/ingest/loaders/pdf.js';
import { makePdf } from '../support/pdf.js';

const buffer = (text: string) => Buffer.from(text, 'utf8');
// One token per Latin word or symbol: easy to reason about.
const countTokens = (text: string) => (text.match(/[\u4e00-\u9fff]|[A-Za-z0-9]+|[^\s\w]/g) ?? []).length;

const COMPARISON_MD = `---
title: Compare
url: https://help.example.com/en/compare
---
# Compare

## Cameras {#cams}

| Model | Warranty | Weight |
| --- | :---: | ---: |
| Guard Cam 2 | 2 years | 240 g |
| Guard Cam Mini | 1 year | 95 g |
| Guard Cam \\| Pro | 3 years | 310 g |

After the table.
`;

describe('tables', () => {
  it('reads a Markdown pipe table as rows under their column headers', () => {
    const [document] = loadMarkdown(buffer(COMPARISON_MD), 'compare.md');
    const table = document!.sections.find((section) => section.table);
    expect(table?.table).toEqual({
      header: ['Model', 'Warranty', 'Weight'],
      rows: [
        ['Guard Cam 2', '2 years', '240 g'],
        ['Guard Cam Mini', '1 year', '95 g'],
        ['Guard Cam | Pro', '3 years', '310 g'],
      ],
    });
    expect(table?.text.split('\n\n')[0]).toBe('Model: Guard Cam 2 | Warranty: 2 years | Weight: 240 g');
    // Prose after the table is a section of its own under the same heading: no chunk mixes rows with it.
    expect(document!.sections.at(-1)).toMatchObject({ headingPath: ['Compare', 'Cameras'], text: 'After the table.' });
  });

  it('reads an HTML table with <thead>, <caption> and colspan; a first row of <th> is a header too', () => {
    const html = `<html><body><h2>Specs</h2><table><caption>Battery</caption><thead><tr><th>Model</th><th colspan="2">Battery</th></tr></thead>
      <tbody><tr><td>Band 3</td><td>14 days</td><td>7 days with heart rate</td></tr></tbody></table>
      <table><tr><th>Plan</th><th>Price</th></tr><tr><td>Basic</td><td>3 USD</td></tr></table>
      <table><tr><td>no</td><td>header</td></tr></table></body></html>`;
    const [document] = loadHtml(buffer(html), 'specs.html');
    const tables = document!.sections.filter((section) => section.table).map((section) => section.text);
    expect(tables).toEqual(['Battery\n\nModel: Band 3 | Battery: 14 days | Battery: 7 days with heart rate', 'Plan: Basic | Price: 3 USD', 'no | header']);
  });

  it('a table is chunked by whole rows, and every chunk carries the column headers and the caption', () => {
    const rows = Array.from({ length: 30 }, (_, index) => [`Model ${index}`, `${index} years`, `${index * 10} g`]);
    const table = { header: ['Model', 'Warranty', 'Weight'], rows, caption: 'Cameras' };
    const chunks = chunkSections([{ headingPath: ['Compare'], text: '', table, anchor: 'cams' }], { maxTokens: 60, overlapTokens: 10, countTokens });
    expect(chunks).toHaveLength(30);
    const seen: string[] = [];
    for (const chunk of chunks) {
      expect(chunk.tokens).toBeLessThanOrEqual(60);
      expect(chunk.anchor).toBe('cams');
      const [caption, ...lines] = chunk.text.split('\n\n');
      expect(caption).toBe('Cameras');
      for (const line of lines) {
        expect(line).toMatch(/^Model: Model \d+ \| Warranty: \d+ years \| Weight: \d+ g$/);
        seen.push(line);
      }
    }
    // Every row once, none cut, none repeated.
    expect(seen).toHaveLength(30);
    expect(new Set(seen).size).toBe(30);
  });

  it('an extractive answer quotes the row that answers, not the whole table', async () => {
    const [document] = loadMarkdown(buffer(COMPARISON_MD), 'compare.md');
    // The whole table as one text (as a packed chunk, or today's flattened table would be): the row is still what is quoted.
    const [table] = document!.sections.filter((section) => section.table);
    const result = await extractiveAnswer('How long is the warranty on the Guard Cam Mini?', [{ n: 1, kind: 'passage', lang: 'en', title: 'Compare', text: table!.text }], { lang: 'en' });
    expect(result?.text).toContain('Model: Guard Cam Mini | Warranty: 1 year');
    expect(result?.text).not.toContain('Guard Cam 2');
  });

  it('PDF: lines of tab-separated cells (how the page text marks wide gaps) read as a table; columns typed with spaces stay text', async () => {
    const sections = pageSections('Battery\nModel\tBattery\tWater\nBand 3\t14 days\t5 ATM\nWatch Pro\t10 days\t5 ATM\nAfter.', ['p. 1']);
    expect(sections.map((section) => section.text)).toEqual(['Battery', 'Model: Band 3 | Battery: 14 days | Water: 5 ATM\n\nModel: Watch Pro | Battery: 10 days | Water: 5 ATM', 'After.']);
    // Spaces inside one piece of text are no gap between pieces: nothing says where a column starts. (Tables drawn
    // cell by cell are found from their layout: pdf-tables.test.ts.)
    const [document] = await loadPdf(await makePdf(['Model    Battery\nBand 3    14 days']), 'manual.pdf');
    expect(document!.sections.every((section) => !section.table)).toBe(true);
  });
});

describe('images', () => {
  it('HTML: <img> alt text and <figure> captions become image references resolved against the page, javascript:/data: dropped', () => {
    const html = `<html><head><link rel="canonical" href="https://help.example.com/en/cam"></head><body><h1 id="top">Cam</h1>
      <p>Open the app.</p><figure><img src="/img/pair.png" alt="Pairing screen"><figcaption>Scan the code</figcaption></figure>
      <p>Then wait.</p><img src="javascript:alert(1)" alt="bad"><img src="data:image/png;base64,AAAA" alt="inline"></body></html>`;
    const [document] = loadHtml(buffer(html), 'cam.html');
    const [section] = document!.sections;
    expect(section!.images?.map(({ at: _at, ...image }) => image)).toEqual([{ url: 'https://help.example.com/img/pair.png', alt: 'Pairing screen', caption: 'Scan the code' }]);
    // The dropped images' alt text stays searchable as text; the caption is not repeated in the text.
    expect(section!.text).toBe('Open the app.\nThen wait.\nbad inline');
  });

  it('Markdown images resolve against the document url; each goes with the chunk holding the text before it', () => {
    const filler = Array.from({ length: 12 }, (_, index) => `Step ${index} is done.`).join(' ');
    const markdown = `---\nurl: https://help.example.com/en/band\n---\n# Band\n## Pairing\nFirst open the app. ${filler}\n![Pairing code](images/code.png "The six-digit code")\nLast confirm the code.\n![](relative-without-alt.png)`;
    const [document] = loadMarkdown(buffer(markdown), 'band.md');
    const chunks = chunkSections(document!.sections, { maxTokens: 40, overlapTokens: 0, countTokens });
    const withImage = chunks.filter((chunk) => chunk.images?.length);
    expect(withImage.flatMap((chunk) => chunk.images)).toEqual([
      { url: 'https://help.example.com/en/images/code.png', alt: 'Pairing code', caption: 'The six-digit code' },
      { url: 'https://help.example.com/en/relative-without-alt.png' },
    ]);
    expect(withImage[0]!.text).toContain('Step 11 is done.');
    expect(chunks.map((chunk) => chunk.text).join(' ')).not.toContain('Pairing code');
  });

  it('a relative Markdown image in a document without a url keeps its alt text inline and carries no reference', () => {
    const [document] = loadMarkdown(buffer('# A\nSee ![the dial](dial.png) here.'), 'a.md');
    expect(document!.sections[0]).toEqual({ headingPath: ['A'], anchor: 'a', text: 'See the dial here.' });
  });

  it("answers carry only images from the cited page's origin or an allowed one", () => {
    const urls = new SourceUrls({}, 'https://cdn.example.com');
    const metadata = {
      url: 'https://help.example.com/en/cam',
      images: [
        { url: 'https://help.example.com/a.png', alt: 'own' },
        { url: 'https://cdn.example.com/b.png' },
        { url: 'https://tracker.example.net/c.png' },
        { url: 'javascript:alert(1)' },
        { url: 'data:image/png;base64,AAAA' },
      ],
    };
    const url = urls.url({ sourcePath: 'cam.md', docId: 'cam.md', metadata });
    expect(urls.images({ metadata }, url).map((image) => image.url)).toEqual(['https://help.example.com/a.png', 'https://cdn.example.com/b.png']);
    // A source without a page of its own: only the allow-list.
    expect(urls.images({ metadata }, undefined).map((image) => image.url)).toEqual(['https://cdn.example.com/b.png']);
  });
});

describe('anchors', () => {
  it('Markdown headings get GitHub slugs (or their {#id}); HTML headings their id or an anchor inside them', () => {
    const [markdown] = loadMarkdown(buffer('# Guide\nIntro.\n## Set-up & pairing\nA.\n## Set-up & pairing\nB.\n## 保修 期限\nC.\n## Custom {#mine}\nD.'), 'g.md');
    expect(markdown!.sections.map((section) => section.anchor)).toEqual(['guide', 'set-up--pairing', 'set-up--pairing-1', '保修-期限', 'mine']);
    expect(markdown!.sections.at(-1)!.headingPath).toEqual(['Guide', 'Custom']);
    const [html] = loadHtml(buffer('<h2 id="reset">Reset</h2><p>Hold it.</p><h2><a name="care"></a>Care</h2><p>Wipe it.</p><h2>None</h2><p>x</p>'), 'g.html');
    expect(html!.sections.map((section) => section.anchor)).toEqual(['reset', 'care', undefined]);
  });

  it('a chunk under a heading with an anchor cites url#anchor; an address that has a fragment keeps it', () => {
    const urls = new SourceUrls({ 'faq/': 'https://help.example.com/faq#{doc_id}' });
    expect(urls.url({ sourcePath: 'm.md', docId: 'm.md', metadata: { url: 'https://help.example.com/m', anchor: 'set-up' } })).toBe('https://help.example.com/m#set-up');
    expect(urls.url({ sourcePath: 'faq/x.csv', docId: 'q1', metadata: { anchor: 'x' } })).toBe('https://help.example.com/faq#q1');
    expect(urls.url({ sourcePath: 'm.md', docId: 'm.md', metadata: { url: 'https://help.example.com/m' } })).toBe('https://help.example.com/m');
  });

  it('a crawled page keeps its heading ids, tables and screenshots through Readability', () => {
    const body = Array.from({ length: 6 }, () => '<p>The Guard Cam 2 records 2K video day and night and sends alerts to your phone when someone comes to the door.</p>').join('');
    const html = `<html lang="en"><head><title>Cam | Help</title></head><body><nav><a href="/">Home</a></nav><main><article><h1>Guard Cam 2</h1>${body}
      <h2 id="specs">Specifications</h2><p>The camera comes in two models, compared below for warranty and weight.</p>
      <table><thead><tr><th>Model</th><th>Warranty</th></tr></thead><tbody><tr><td>Guard Cam 2</td><td>2 years</td></tr><tr><td>Guard Cam Mini</td><td>1 year</td></tr></tbody></table>
      <figure><img src="shots/app.png" alt="The app's live view" width="600" height="400"><figcaption>Live view in the app</figcaption></figure></article></main><footer>© Example</footer></body></html>`;
    const page = extractPage(
      html,
      'https://help.example.com/en/cam',
      (canonical) => ({ docId: canonical, sourcePath: `source:help/${canonical}` }),
      () => true,
    );
    const sections = page.document.sections;
    const specs = sections.filter((section) => section.anchor === 'specs');
    expect(specs.find((section) => section.table)?.text).toBe('Model: Guard Cam 2 | Warranty: 2 years\n\nModel: Guard Cam Mini | Warranty: 1 year');
    expect(specs.flatMap((section) => section.images ?? []).map(({ at: _at, ...image }) => image)).toEqual([
      { url: 'https://help.example.com/en/shots/app.png', alt: "The app's live view", caption: 'Live view in the app' },
    ]);
  });
});

describe('website snapshots from before tables and images', () => {
  it('are fetched again once, unconditionally: their validators are dropped, their documents kept', () => {
    const document = { docId: 'https://h.example/a', sourcePath: 'source:help/https://h.example/a', title: 'A', kind: 'passage' as const, sections: [{ headingPath: ['A'], text: 'x' }] };
    const old = {
      sourceId: 'help',
      type: 'website' as const,
      syncedAt: '2026-12-01T00:00:00Z',
      pages: {
        'https://h.example/a': { url: 'https://h.example/a', fetchedUrl: 'https://h.example/a', etag: '"1"', lastModified: 'Mon', lastmod: '2026-11-01', contentHash: 'h', links: [], document },
      },
      aliases: { 'https://h.example/a?print=1': { canonical: 'https://h.example/a', etag: '"1"' } },
      cursor: '2026-11-01',
    };
    const stale = staleExtraction(old)!;
    expect(stale.pages['https://h.example/a']).toEqual({ url: 'https://h.example/a', fetchedUrl: 'https://h.example/a', contentHash: 'h', links: [], document });
    expect(stale.aliases).toEqual({ 'https://h.example/a?print=1': { canonical: 'https://h.example/a' } });
    expect(stale.cursor).toBeUndefined();
    const current = { ...old, extractor: EXTRACTOR_VERSION };
    expect(staleExtraction(current)).toBe(current);
  });
});
