import { describe, expect, it } from 'vitest';
import { pageSections } from '../../src/ingest/loaders/pdf.js';

describe('a PDF page read as a table under a very long first line', () => {
  it('keeps its text in proportion to the page: each row repeats a bounded header', () => {
    const page = `${'Model '.repeat(20_000)}\tPrice\n${'a\tb\n'.repeat(5_000)}`;
    const sections = pageSections(page, ['p. 1']);
    const text = sections.reduce((length, section) => length + section.text.length, 0);
    expect(sections[0]?.table?.rows).toHaveLength(5_000);
    expect(sections[0]?.table?.header[1]).toBe('Price');
    expect(text).toBeLessThan(10 * page.length);
  });
});
