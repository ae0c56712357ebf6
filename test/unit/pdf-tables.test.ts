import { describe, expect, it, vi } from 'vitest';
import { chunkSections, type Section } from '../../src/ingest/chunker.js';
import { findTables, type PdfTextItem } from '../../src/ingest/loaders/pdf-layout.js';
import { loadPdf, pdfPageSections } from '../../src/ingest/loaders/pdf.js';
import { drawPdf } from '../support/pdf.js';

// One token per Latin word or symbol: easy to reason about.
const countTokens = (text: string) => (text.match(/[\u4e00-\u9fff]|[A-Za-z0-9]+|[^\s\w]/g) ?? []).length;
const tables = (sections: Section[]) => sections.filter((section) => section.table);

const CAMERAS = [
  ['Model', 'Warranty', 'Weight'],
  ['Guard Cam S1', '2 years', '240 g'],
  ['Guard Cam 2', '1 year', '310 g'],
  ['Guard Cam Mini', '1 year, extendable to two years when registered in the app', '120 g'],
];

const PROSE =
  'Pairing the band takes a minute. Open the Lumora app, choose Add device and hold the band close to the phone until the screen shows a code. ' +
  'Confirm the code on both screens. If pairing fails, restart the band by holding the button for ten seconds, then try again. The band keeps ' +
  'its data for seven days when it cannot reach the phone, and sends it at the next connection. Charging takes about two hours from empty; the ' +
  'cradle clips on magnetically and the light turns green when the band is full. Clean the sensor window with a dry cloth once a week.';

describe('PDF tables read from where their text sits', () => {
  it('a table drawn cell by cell becomes a table section between the prose around it: header, caption, a wrapped cell joined', async () => {
    const pdf = await drawPdf([[{ text: 'Compare the cameras before you buy.' }, { caption: 'Table 1: Cameras', table: CAMERAS, widths: [150, 170, 90] }, { text: 'Prices vary by region.' }]]);
    const [document] = await loadPdf(pdf, 'compare.pdf');
    expect(document!.sections.map((section) => section.text.split('\n')[0])).toEqual(['Compare the cameras before you buy.', 'Table 1: Cameras', 'Prices vary by region.']);
    const [section] = tables(document!.sections);
    expect(section).toMatchObject({ headingPath: ['p. 1'], table: { header: CAMERAS[0], rows: CAMERAS.slice(1), caption: 'Table 1: Cameras' } });
    // The same row chunking as HTML and Markdown tables: one row a chunk, with its headers and the caption.
    const chunks = chunkSections([section!], { maxTokens: 200, overlapTokens: 0, countTokens });
    expect(chunks.map((chunk) => chunk.text)).toEqual([
      'Table 1: Cameras\n\nModel: Guard Cam S1 | Warranty: 2 years | Weight: 240 g',
      'Table 1: Cameras\n\nModel: Guard Cam 2 | Warranty: 1 year | Weight: 310 g',
      'Table 1: Cameras\n\nModel: Guard Cam Mini | Warranty: 1 year, extendable to two years when registered in the app | Weight: 120 g',
    ]);
  });

  it('a page of two-column prose is not a table, and reads column by column', async () => {
    const pdf = await drawPdf([[{ twoColumns: `${PROSE} ${PROSE}` }]]);
    const [document] = await loadPdf(pdf, 'band.pdf');
    expect(tables(document!.sections)).toEqual([]);
    const text = document!.sections
      .map((section) => section.text)
      .join('\n')
      .replace(/\n/g, ' ');
    expect(text).toContain('Confirm the code on both screens. If pairing fails, restart the band');
  });

  it('a table running onto the next page goes on there with its header and caption, a repeated header row dropped', async () => {
    const intro = Array.from({ length: 40 }, (_, index) => `Line ${index} of the introduction.`).join('\n');
    const header = ['Model', 'Battery', 'Water resistance'];
    const widths = [150, 120, 120];
    const pdf = await drawPdf([
      [{ text: intro }, { caption: 'Table 2: Battery life', table: [header, ['Band 3', '14 days', '5 ATM'], ['Watch Pro', '10 days', '5 ATM']], widths }],
      [
        {
          table: [
            ['Band 4', '20 days', '10 ATM'],
            ['Ring R1', '7 days', '10 ATM'],
          ],
          widths,
        },
      ],
      [{ table: [header, ['Kids Band', '5 days', '3 ATM']], widths }, { text: 'Battery life depends on use.' }],
    ]);
    const [document] = await loadPdf(pdf, 'bands.pdf');
    const found = tables(document!.sections);
    expect(found.map(({ headingPath, table }) => [headingPath[0], table?.header, table?.caption, table?.rows.map((row) => row[0])])).toEqual([
      ['p. 1', header, 'Table 2: Battery life', ['Band 3', 'Watch Pro']],
      ['p. 2', header, 'Table 2: Battery life', ['Band 4', 'Ring R1']],
      ['p. 3', header, 'Table 2: Battery life', ['Kids Band']],
    ]);
    expect(document!.sections.at(-1)!.text).toBe('Battery life depends on use.');
  });

  it('a comparison table with a blank top-left cell keeps its row labels as the first column', async () => {
    const pdf = await drawPdf([
      [
        {
          table: [
            ['', 'Guard Cam S1', 'Guard Cam 2'],
            ['Warranty', '2 years', '1 year'],
            ['Weight', '240 g', '310 g'],
          ],
          widths: [120, 150, 150],
        },
      ],
    ]);
    const [document] = await loadPdf(pdf, 'compare.pdf');
    expect(tables(document!.sections).map((section) => section.text)).toEqual(['Warranty | Guard Cam S1: 2 years | Guard Cam 2: 1 year\n\nWeight | Guard Cam S1: 240 g | Guard Cam 2: 310 g']);
  });

  it('a Chinese table joins a wrapped cell without a space', async () => {
    const rows = [
      ['型号', '保修期', '说明'],
      ['HK-2 降压线套件', '1 年', '配件'],
      ['Drive Cam D1', '2 年', '注册后在朗曜应用中可延长一年保修，需保留购买凭证'],
    ];
    const pdf = await drawPdf([[{ table: rows, widths: [130, 80, 150] }]], {}, true);
    const [document] = await loadPdf(pdf, 'zh.pdf');
    expect(tables(document!.sections)[0]?.table?.rows).toEqual(rows.slice(1));
  });
});

describe('what is not a table', () => {
  // Items as pdf.js gives them: 10-unit text, rows 14 apart.
  const item = (str: string, x: number, row: number, width = str.length * 5): PdfTextItem => ({ str, x, y: 100 + 14 * row, width, height: 10, hasEOL: false });

  it('a numbered list (markers in their own column) and a list of "Key: value" lines', () => {
    const steps = ['Open the app.', 'Choose Add device.', 'Confirm the code.'].flatMap((text, row) => [item(`${row + 1}.`, 50, row), item(text, 70, row)]);
    expect(findTables(steps, 800)).toEqual([]);
    const specs = [
      ['Input:', '5 V 1 A'],
      ['Output:', '5 V 2 A'],
      ['Weight:', '46 g'],
    ].flatMap(([key, value], row) => [item(key!, 50, row), item(value!, 150, row)]);
    expect(findTables(specs, 800)).toEqual([]);
  });

  it('rows far apart are not one table; a line spanning two columns ends one', () => {
    const row = (cells: string[], index: number) => cells.map((cell, column) => item(cell, 50 + 120 * column, index));
    expect(findTables([...row(['Model', 'Battery'], 0), ...row(['Band 3', '14 days'], 4), ...row(['Watch', '10 days'], 8)], 800)).toEqual([]);
    const spanning = [...row(['Model', 'Battery'], 0), ...row(['Band 3', '14 days'], 1), item('A sentence running across the whole page width.', 50, 2, 240), ...row(['Watch', '10 days'], 3)];
    expect(findTables(spanning, 800)).toEqual([]);
  });

  it('a page of tens of thousands of lines (hostile input) is read whole: aligned prose skipped in one pass, a long table kept', () => {
    const prose = Array.from({ length: 20_000 }, (_, row) => [
      item(`Left column line ${row} of a long article text`, 50, row, 200),
      item(`Right column line ${row} of the same text`, 300, row, 200),
    ]).flat();
    const table = Array.from({ length: 30_000 }, (_, row) => [item(row ? `Model ${row}` : 'Model', 50, 20_001 + row), item(row ? `${row} g` : 'Weight', 200, 20_001 + row)]).flat();
    const { sections } = pdfPageSections([...prose, ...table], 1_000_000, ['p. 1']);
    expect(sections.filter((section) => section.table).map((section) => section.table?.rows.length)).toEqual([29_999]);
    expect(sections[0]?.text).toContain('Right column line 19999');
  });

  it('a hostile line of many thousand pieces costs work in proportion to them (its text kept)', () => {
    // Work counted, not timed: the characters the reader's regexes look at, and the columns a cell is matched against.
    const work = { characters: 0, columns: 0 };
    const test = RegExp.prototype.test;
    const flatMap = Array.prototype.flatMap;
    const counted = <T>(read: () => T): T => {
      const tests = vi.spyOn(RegExp.prototype, 'test').mockImplementation(function (this: RegExp, text: string) {
        work.characters += String(text).length;
        return test.call(this, text);
      });
      const maps = vi.spyOn(Array.prototype, 'flatMap').mockImplementation(function (this: unknown[], ...args: Parameters<typeof flatMap>) {
        work.columns += this.length;
        return flatMap.apply(this, args);
      });
      try {
        return read();
      } finally {
        tests.mockRestore();
        maps.mockRestore();
      }
    };
    // One line of 20,000 close words (one cell), and four lines of 3,000 cells each in the same columns.
    const line = Array.from({ length: 20_000 }, (_, index) => item('ab', 50 + 12 * index, 0, 8));
    const wide = Array.from({ length: 4 }, (_, row) => Array.from({ length: 3_000 }, (_, index) => item('cd', 50 + 20 * index, 2 + row, 8))).flat();
    const { sections } = counted(() => pdfPageSections([...line, ...wide], 1_000_000, ['p. 1']));
    const text = sections.map((section) => section.text).join('\n');
    expect([text.includes('abab'), text.includes('cd')]).toEqual([true, true]);
    // Linear: a few characters per piece (it was the cell's whole text per piece, ~600 million), and no column
    // matching for a row too wide to be a table's (it was cells × columns per row, ~36 million).
    expect(work.characters).toBeLessThan(50 * (line.length + wide.length));
    expect(work.columns).toBeLessThan(10 * (line.length + wide.length));
  });
});
