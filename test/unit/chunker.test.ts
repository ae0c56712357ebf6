import { describe, expect, it } from 'vitest';
import { chunkSections } from '../../src/ingest/chunker.js';
import { splitSentences } from '../../src/text/sentences.js';

// One token per CJK character and per Latin word: close to the WordPiece counts, and easy to reason about.
const countTokens = (text: string) => (text.match(/[\u4e00-\u9fff]|[A-Za-z0-9]+|[^\s\w]/g) ?? []).length;

describe('sentence splitting', () => {
  it('ends Chinese sentences at full-width punctuation, keeping closing quotes', () => {
    expect(splitSentences('第一句。第二句！“第三句？”第四句；结尾')).toEqual(['第一句。', '第二句！', '“第三句？”', '第四句；', '结尾']);
  });
  it('ends English sentences at . ! ? followed by a space, not inside numbers', () => {
    expect(splitSentences('It weighs 1.5 kg. Charge it fully! Done?')).toEqual(['It weighs 1.5 kg.', 'Charge it fully!', 'Done?']);
  });
});

describe('chunkSections', () => {
  const longChinese = Array.from({ length: 40 }, (_, index) => `这是第${index}句关于智能温控器的说明，内容完整。`).join('');

  it('keeps every chunk within the token limit and never splits a Chinese sentence', () => {
    const chunks = chunkSections([{ headingPath: ['手册', '安装'], text: longChinese }], { maxTokens: 60, overlapTokens: 0, countTokens });
    expect(chunks.length).toBeGreaterThan(5);
    for (const chunk of chunks) {
      expect(countTokens(chunk.text)).toBeLessThanOrEqual(60);
      expect(chunk.text.endsWith('。')).toBe(true);
      expect(chunk.headingPath).toEqual(['手册', '安装']);
    }
    expect(chunks.map((chunk) => chunk.text).join('')).toBe(longChinese);
  });

  it('repeats trailing sentences of a chunk at the start of the next (overlap)', () => {
    const chunks = chunkSections([{ headingPath: [], text: longChinese }], { maxTokens: 60, overlapTokens: 25, countTokens });
    expect(chunks.length).toBeGreaterThan(2);
    for (let index = 1; index < chunks.length; index++) {
      const previousLast = chunks[index - 1].text.split('。').filter(Boolean).at(-1)!;
      expect(chunks[index].text.startsWith(previousLast)).toBe(true);
    }
  });

  it('never crosses sections, so each chunk has one heading path', () => {
    const chunks = chunkSections(
      [
        { headingPath: ['A'], text: 'Alpha one. Alpha two.' },
        { headingPath: ['B'], text: 'Beta one.' },
      ],
      { maxTokens: 100, overlapTokens: 10, countTokens },
    );
    expect(chunks.map((chunk) => [chunk.headingPath[0], chunk.text])).toEqual([
      ['A', 'Alpha one. Alpha two.'],
      ['B', 'Beta one.'],
    ]);
  });

  it('breaks an over-long sentence at clauses, then by length, and still respects the limit', () => {
    const sentence = `${'很长的从句，'.repeat(30)}${'无标点'.repeat(80)}。`;
    const chunks = chunkSections([{ headingPath: [], text: sentence }], { maxTokens: 40, overlapTokens: 0, countTokens });
    for (const chunk of chunks) expect(countTokens(chunk.text)).toBeLessThanOrEqual(40);
    expect(chunks.map((chunk) => chunk.text).join('').replace(/\s/g, '')).toBe(sentence);
  });
});

describe('sentence splitting on hostile input', () => {
  // The old splitter took hours on this input; a linear one finishes well inside the test timeout.
  it('stays linear: 4 MB of dots, bangs and CJK marks split within the test timeout, losing nothing', () => {
    const hostile = ['.'.repeat(1_000_000), 'a.b.c.'.repeat(200_000), '!?'.repeat(300_000), '。”'.repeat(200_000)].join('');
    const sentences = splitSentences(hostile);
    expect(sentences.join('').length).toBe(hostile.length);
  });

  it('keeps the splitting rules: CJK marks with closing quotes, Latin runs before whitespace only', () => {
    expect(splitSentences('他说：“好。”然后走了！真的？')).toEqual(['他说：“好。”', '然后走了！', '真的？']);
    expect(splitSentences('Version 2.1 is out. Really?! Yes... ok')).toEqual(['Version 2.1 is out.', 'Really?!', 'Yes...', 'ok']);
  });
});
