import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadHtml } from '../../src/ingest/loaders/html.js';

afterEach(() => vi.restoreAllMocks());

/**
 * A crawled page is hostile input: a table of thousands of header rows and body rows must be read in work linear in
 * its rows. Each row was looked up in the list of header rows (header rows × rows). Measured as array elements
 * visited by `includes` (deterministic, unlike a clock).
 */
describe('a table of many header rows', () => {
  it('is read in work linear in its rows', () => {
    const rows = 2000;
    const html = `<table><thead>${'<tr><th>Model</th></tr>'.repeat(rows)}</thead><tbody>${Array.from({ length: rows }, (_, index) => `<tr><td>S${index}</td></tr>`).join('')}</tbody></table>`;
    let visited = 0;
    const original = Array.prototype.includes;
    vi.spyOn(Array.prototype, 'includes').mockImplementation(function (this: unknown[], ...args: [unknown, number?]) {
      visited += this.length;
      return original.apply(this, args);
    });
    const [document] = loadHtml(Buffer.from(html), 'table.html');
    vi.restoreAllMocks();
    expect(document?.sections[0]?.table?.rows).toHaveLength(rows);
    expect(visited).toBeLessThan(20 * rows);
  });
});

describe('a table of thousands of header rows', () => {
  it('keeps its text in proportion to the page: each row repeats a bounded header', () => {
    const rows = 10_000;
    const html = `<table><thead>${'<tr><th>Model</th></tr>'.repeat(rows)}</thead><tbody>${'<tr><td>b</td></tr>'.repeat(rows)}</tbody></table>`;
    const [document] = loadHtml(Buffer.from(html), 'table.html');
    const text = document?.sections.reduce((length, section) => length + section.text.length, 0) ?? 0;
    expect(document?.sections[0]?.table?.rows).toHaveLength(rows);
    expect(text).toBeLessThan(10 * html.length);
  });

  it('still reads two header rows as "Group Column"', () => {
    const [document] = loadHtml(Buffer.from('<table><thead><tr><th colspan="2">Battery</th></tr><tr><th>Life</th><th>Charge</th></tr></thead><tr><td>8 h</td><td>2 h</td></tr></table>'), 't.html');
    expect(document?.sections[0]?.table?.header).toEqual(['Battery Life', 'Battery Charge']);
  });
});
