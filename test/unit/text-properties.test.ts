import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunkSections } from '../../src/ingest/chunker.js';
import { splitSentences } from '../../src/text/sentences.js';
import { CHINESE_FUNCTION_CHARS, ENGLISH_STOPWORDS, chunkTerms, contentTerms, stem } from '../../src/text/terms.js';

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
  it('term extraction finds exactly the terms of its plain definition, in the same order', () => {
    // The plain definition (as first written): fold whitespace, match words and Han runs, slice each bigram.
    const plain = (text: string) => {
      const normalized = text.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
      const terms = new Set<string>();
      for (const word of normalized.match(/[a-z0-9][a-z0-9_.-]*[a-z0-9]|[a-z0-9]/g) ?? []) {
        if (word.length >= 2 && !ENGLISH_STOPWORDS.has(word)) terms.add(stem(word));
        else if (/^\d$/.test(word)) terms.add(word);
      }
      for (const run of normalized.match(/[\u3400-\u9fff]+/g) ?? []) {
        if (run.length === 1 && !CHINESE_FUNCTION_CHARS.has(run)) terms.add(run);
        for (let index = 0; index < run.length - 1; index++) {
          const bigram = run.slice(index, index + 2);
          if (!CHINESE_FUNCTION_CHARS.has(bigram[0]) && !CHINESE_FUNCTION_CHARS.has(bigram[1])) terms.add(bigram);
        }
      }
      return [...terms];
    };
    const piece = fc.constantFrom('the', 'how', 'do', 'is', 'can', 'what', 'my', 'a', '的', '了', '吗', '是', '我', '不', 'Wristband', 'charging', 'batteries', 'v2.1', 'e-mail', '５Ｇ', 'Ａ', '手环', '充电', '多久', '保修期', '7', '42', "don't", ' ', '\n', '。', '，', '?');
    fc.assert(
      fc.property(fc.array(fc.oneof(piece, fc.string({ maxLength: 6 })), { maxLength: 60 }), (pieces) => {
        const text = pieces.join('');
        expect([...contentTerms(text)]).toEqual(plain(text));
      }),
      { numRuns: 1000 },
    );
  });
  it("a chunk's terms are remembered by its text: the same set for the same text, fresh for another", () => {
    const text = '手环充电多久？ How long does the wristband take to charge?';
    const first = chunkTerms(text);
    expect([...first]).toEqual([...contentTerms(text)]);
    expect(chunkTerms(`${text}`)).toBe(first);
    expect(chunkTerms(`${text} battery`).has('battery')).toBe(true);
  });
});
