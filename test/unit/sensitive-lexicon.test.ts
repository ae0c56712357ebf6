import fc from 'fast-check';
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AhoCorasick, foldText } from '../../src/moderation/aho-corasick.js';
import { Moderation, parseLexicon } from '../../src/moderation/lexicon.js';

/** The naive matcher the automaton must agree with: every (pattern, end) pair in the folded text. */
function naive(patterns: string[], text: string): string[] {
  const folded = foldText(text);
  const found = new Set<string>();
  patterns.forEach((pattern) => {
    const term = foldText(pattern);
    if (!term) return;
    for (let at = folded.indexOf(term); at >= 0; at = folded.indexOf(term, at + 1)) {
      // A duplicate term reports the first pattern with it.
      found.add(`${patterns.findIndex((other) => foldText(other) === term)}@${at + term.length}`);
    }
  });
  return [...found].sort();
}

/** The automaton's matches as (pattern, end in the folded text). */
function automaton(patterns: string[], chunks: string[]): string[] {
  const matcher = new AhoCorasick(patterns);
  const scanner = matcher.scanner();
  const found = new Set<string>();
  let folded = 0;
  for (const chunk of chunks) {
    for (const char of chunk) {
      folded += foldText(char).length;
      for (const match of scanner.feed(char)) found.add(`${match.pattern}@${folded}`);
    }
  }
  return [...found].sort();
}

const alphabet = fc.constantFrom('a', 'b', 'c', '法', '轮', ' ', 'Ａ', '-');
const word = fc.array(alphabet, { minLength: 1, maxLength: 4 }).map((chars) => chars.join(''));

describe('Aho–Corasick', () => {
  it('finds exactly what a naive search finds (property)', () => {
    fc.assert(
      fc.property(fc.array(word, { minLength: 1, maxLength: 8 }), fc.array(alphabet, { maxLength: 60 }), (patterns, text) => {
        expect(automaton(patterns, [text.join('')])).toEqual(naive(patterns, text.join('')));
      }),
      { numRuns: 500 },
    );
  });

  it('finds a term however the stream is cut into chunks (property)', () => {
    fc.assert(
      fc.property(fc.array(word, { minLength: 1, maxLength: 6 }), fc.array(alphabet, { maxLength: 60 }), fc.array(fc.nat(60), { maxLength: 6 }), (patterns, text, cuts) => {
        const whole = text.join('');
        const points = [...new Set(cuts.map((cut) => Math.min(cut, text.length)))].sort((a, b) => a - b);
        const chunks: string[] = [];
        let previous = 0;
        for (const point of [...points, text.length]) {
          chunks.push(text.slice(previous, point).join(''));
          previous = point;
        }
        const scanner = new AhoCorasick(patterns).scanner();
        const streamed = chunks.flatMap((chunk) => scanner.feed(chunk).map((match) => match.pattern));
        const once = new AhoCorasick(patterns).search(whole).map((match) => match.pattern);
        expect(streamed).toEqual(once);
      }),
      { numRuns: 500 },
    );
  });

  it('folds full-width letters, case and separators', () => {
    const matcher = new AhoCorasick(['法轮功', 'bad word']);
    expect(matcher.search('这是法 轮-功吗').map((match) => match.pattern)).toEqual([0]);
    expect(matcher.search('ＢＡＤ　ＷＯＲＤ!').map((match) => match.pattern)).toEqual([1]);
    expect(matcher.search('法轮 a 功')).toEqual([]);
  });

  it('is not bypassed by invisible characters between the letters (zero-width space and joiners, soft hyphen, word joiner, BOM, bidi marks, variation selectors, combining grapheme joiner, Hangul fillers)', () => {
    const matcher = new AhoCorasick(['法轮功', 'forbidden']);
    for (const invisible of ['\u200b', '\u200c', '\u200d', '\u00ad', '\u2060', '\ufeff', '\u200e', '\u202e', '\ufe0f', '\u{e0101}', '\u034f', '\u3164', '\uffa0']) {
      expect(matcher.search(`法${invisible}轮${invisible}功`), JSON.stringify(invisible)).toHaveLength(1);
      expect(matcher.search(`for${invisible}bid${invisible}den`), JSON.stringify(invisible)).toHaveLength(1);
    }
  });

  it('is not bypassed by the usual evasions: look-alike Cyrillic and Greek letters, accents, stacked marks, traditional characters, half-width kana, spaces and punctuation between the characters', () => {
    const matcher = new AhoCorasick(['违禁词', 'paypal', 'casino', 'スパム', '發財']);
    const found = (text: string) => matcher.search(text).map((match) => match.pattern);
    // Cyrillic р, а, у and Greek Ρ, α, Υ look like p, a, y.
    expect(found('visit раураl now')).toEqual([1]);
    expect(found('ΡαΥΡΑL')).toEqual([1]);
    expect(found('Саѕіnо')).toEqual([2]);
    // Accents, precomposed or written as combining marks, even stacked.
    expect(found('cásíñò')).toEqual([2]);
    expect(found('c\u0301\u0308a\u0300sino')).toEqual([2]);
    // Traditional characters match a simplified term, and the other way round.
    expect(found('這個違禁詞')).toEqual([0]);
    expect(found('恭喜发财')).toEqual([4]);
    // Half-width katakana, full-width letters, separators of every kind between CJK characters.
    expect(found('ｽﾊﾟﾑ')).toEqual([3]);
    expect(found('违·禁／词')).toEqual([0]);
    expect(found('违\u3000禁\u200b词')).toEqual([0]);
    expect(found('ＰａｙＰａｌ')).toEqual([1]);
    // And nothing where there is nothing.
    expect(found('违规的词')).toEqual([]);
    expect(found('pay pals')).toEqual([1]);
    expect(found('cassino')).toEqual([]);
  });

  it('is linear: over 1 MB against 10,000 terms, at most two automaton steps per character, also on input built to force failure chains', () => {
    const random = (seed: number) => () => (seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff) / 0x7fffffff;
    const next = random(7);
    const han = () => String.fromCharCode(0x4e00 + Math.floor(next() * 400));
    const terms = Array.from({ length: 10_000 }, () => Array.from({ length: 2 + Math.floor(next() * 4) }, han).join(''));
    // The classic worst case for a naive matcher: "aaa…ab" terms over a text of "a"s.
    terms.push(...Array.from({ length: 50 }, (_, index) => `${'a'.repeat(index + 1)}b`));
    const matcher = new AhoCorasick(terms);
    for (const text of [Array.from({ length: 1_000_000 }, han).join(''), 'a'.repeat(1_000_000)]) {
      const stats = { steps: 0 };
      const scanner = matcher.scanner(stats);
      // Streamed in 4 KB chunks, as an answer arrives.
      for (let at = 0; at < text.length; at += 4096) scanner.feed(text.slice(at, at + 4096));
      expect(stats.steps).toBeLessThanOrEqual(2 * text.length);
    }
  });
});

describe('the lexicon file', () => {
  it('reads categories and terms, and the stream check catches a term split across two chunks', () => {
    const entries = parseLexicon('# 示例\n[politics]\n敏感词甲\n[abuse]\nidiot  # comment\n\n');
    expect(entries).toEqual([
      { term: '敏感词甲', category: 'politics' },
      { term: 'idiot', category: 'abuse' },
    ]);
    const hits: string[] = [];
    const moderation = Moderation.fromEntries(entries, { onHit: (category, where) => hits.push(`${category}/${where}`) });
    const stream = moderation.stream('answer');
    expect(stream.feed('这是一段包含敏感')).toBeUndefined();
    expect(stream.feed('词甲的回答')).toEqual({ category: 'politics', term: '敏感词甲' });
    expect(moderation.check('You IDIOT', 'question')).toEqual({ category: 'abuse', term: 'idiot' });
    expect(hits).toEqual(['politics/answer', 'abuse/question']);
  });

  it('is read again when the file changes, and an unreadable file keeps the terms in force', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-lexicon-'));
    const file = path.join(dir, 'lexicon.txt');
    try {
      await writeFile(file, '[a]\n旧词\n');
      const moderation = await Moderation.load(file, { reloadSeconds: 0 });
      expect(moderation.check('旧词', 'question')?.term).toBe('旧词');
      await writeFile(file, '[a]\n新词\n');
      await utimes(file, new Date(), new Date(Date.now() + 5000));
      expect(await moderation.reload()).toBe(true);
      expect(moderation.check('旧词', 'question')).toBeUndefined();
      expect(moderation.check('新词', 'question')?.term).toBe('新词');
      await rm(file);
      expect(await moderation.reload()).toBe(false);
      expect(moderation.check('新词', 'question')?.term).toBe('新词');
      await expect(Moderation.load(file, { reloadSeconds: 0 })).rejects.toThrow(/MODERATION_LEXICON_FILE/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
