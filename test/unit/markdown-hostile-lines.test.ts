import { describe, expect, it } from 'vitest';
import { loadMarkdown } from '../../src/ingest/loaders/markdown.js';

/**
 * Markdown from a synced source is hostile input. A heading, a `{#id}` or a table delimiter line made of a long run
 * of spaces or markers must load in work linear in the line: the heading pattern backtracked cubically (an 8 kB
 * heading line took minutes, blocking the process), the anchor and delimiter patterns quadratically. Each case
 * here takes microseconds when linear and hours when not, so the test's own timeout is what catches a regression.
 */
describe('Markdown lines built to make patterns backtrack', () => {
  const run = 100_000;

  it('reads a heading padded with a long run of spaces before a final word', () => {
    const [document] = loadMarkdown(Buffer.from(`# Setup${' '.repeat(run)}guide\n\nText.`), 'a.md');
    expect(document?.title).toBe(`Setup${' '.repeat(run)}guide`);
  });

  it('reads a heading of many "{#" openings that never close', () => {
    const [document] = loadMarkdown(Buffer.from(`# Setup ${'{#'.repeat(run)} x\n\nText.`), 'a.md');
    expect(document?.sections[0]?.text).toBe('Text.');
  });

  it('reads a table delimiter row made of a dash, a long run of spaces and a word', () => {
    const [document] = loadMarkdown(Buffer.from(`# T\n\na | b\n-${' '.repeat(run)}x\n`), 'a.md');
    expect(document?.sections.some((section) => section.table)).toBe(false);
  });

  it('keeps the heading rules: closing hashes dropped, an explicit {#id} as the anchor', () => {
    const [document] = loadMarkdown(Buffer.from('## Install the app ##\n\nOne.\n\n## Pairing {#pair}\n\nTwo.\n\n| a | b |\n|---|:-:|\n| 1 | 2 |\n'), 'a.md');
    expect(document?.sections.map((section) => [section.headingPath.at(-1), section.anchor, Boolean(section.table)])).toEqual([
      ['Install the app', 'install-the-app', false],
      ['Pairing', 'pair', false],
      ['Pairing', 'pair', true],
    ]);
  });
});

describe('Markdown images and links built to make patterns backtrack', () => {
  it('reads a line of many unclosed image openings', () => {
    const [document] = loadMarkdown(Buffer.from(`# T\n\n${'![a]('.repeat(50_000)}\n`), 'a.md');
    expect(document?.sections[0]?.text.length).toBeGreaterThan(0);
  });

  it('still takes images and links out of a line', () => {
    const [document] = loadMarkdown(Buffer.from('---\nurl: https://help.example.com/a\n---\n# T\n\nSee ![the panel](img/panel.png "Front panel") and [the guide](guide.md).\n'), 'a.md');
    expect(document?.sections[0]?.text).toBe('See and the guide.');
    expect(document?.sections[0]?.images).toEqual([{ url: 'https://help.example.com/img/panel.png', alt: 'the panel', caption: 'Front panel', at: 0 }]);
  });
});

describe('a Markdown table with a long header over many short rows', () => {
  it('keeps its text in proportion to the file: each row repeats a bounded header', () => {
    const markdown = `# T\n\n| ${'Model '.repeat(20_000)}|\n|---|\n${'| b |\n'.repeat(5_000)}`;
    const [document] = loadMarkdown(Buffer.from(markdown), 'a.md');
    const text = document?.sections.reduce((length, section) => length + section.text.length, 0) ?? 0;
    expect(document?.sections.find((section) => section.table)?.table?.rows).toHaveLength(5_000);
    expect(text).toBeLessThan(10 * markdown.length);
  });
});
