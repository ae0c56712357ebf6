import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunkSections } from '../../src/ingest/chunker.js';
import { splitSentences } from '../../src/text/sentences.js';
import { contentTerms } from '../../src/text/terms.js';

// Adversarial alphabets: sentence marks, quotes, brackets, whitespace, CJK and Latin, in any mix.
const hostileChar = fc.constantFrom('.', '!', '?', '。', '！', '？', '；', '”', '」', '）', ')', ' ', '\n', '\n\n', '-', '#', '1', 'a', 'Z', '手', '环', ',', '，', '、', ':');
const hostileText = fc.array(hostileChar, { maxLength: 400 }).map((chars) => chars.join(''));
const withoutSpace = (text: string) => text.replace(/\s+/g, '');

describe('text processing on any input (property-based)', () => {
  it('sentence splitting loses and invents nothing', () => {
    fc.assert(
      fc.property(hostileText, (text) => {
        const sentences = splitSentences(text);
        expect(withoutSpace(sentences.join(''))).toBe(withoutSpace(text));
        for (const sentence of sentences) expect(sentence).toBe(sentence.trim());
      }),
      { numRuns: 500 },
    );
  });

  it('chunking without overlap keeps every character of the text, in order', () => {
    const countTokens = (text: string) => Math.ceil(text.length / 2);
    fc.assert(
      fc.property(hostileText, (text) => {
        const chunks = chunkSections([{ headingPath: [], text }], { maxTokens: 40, overlapTokens: 0, countTokens });
        expect(withoutSpace(chunks.map((chunk) => chunk.text).join(''))).toBe(withoutSpace(text));
      }),
      { numRuns: 300 },
    );
  });

  it('term extraction never throws and yields no whitespace or empty terms', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), hostileText, (random, hostile) => {
        for (const term of contentTerms(random + hostile)) {
          expect(term.length).toBeGreaterThan(0);
          expect(term).not.toMatch(/\s/);
        }
      }),
      { numRuns: 500 },
    );
  });
});
