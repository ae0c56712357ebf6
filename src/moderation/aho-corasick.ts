import tsCharacters from 'opencc-js/dict/TSCharacters';

/**
 * Aho–Corasick multi-pattern matching, in time linear in the text plus the matches, whatever the number of
 * patterns: the sensitive-word lexicon (thousands of terms) is matched on every question and on every streamed
 * answer chunk. The scanner keeps its automaton state between `feed` calls, so a term split across two stream
 * chunks is found exactly as in one string.
 *
 * Text is compared folded, so the usual ways of writing a term past a filter still match it: compatibility forms
 * (NFKD: full-width letters and digits become ASCII, ligatures letters), lower case, accents and other combining
 * marks dropped, look-alike Cyrillic and Greek letters read as the Latin ones ("Рау" as "pay"), traditional
 * characters as simplified (OpenCC's character table: "違禁" as "违禁"), and separators skipped (spaces,
 * punctuation, symbols, zero-width characters), so "法 轮-功", "法\u200b轮功" and "ＦＯＯ" match "法轮功" and
 * "foo". Patterns are folded the same way. Each character folds on its own (a table lookup, cached), so the
 * scan stays linear.
 */
export interface PatternMatch {
  /** Index of the pattern in the list given to the constructor. */
  pattern: number;
  /** Offset (in UTF-16 units) in the text fed so far, just past the match's last character. */
  end: number;
}

// Separators a writer might slip between characters to get past a filter; skipped on both sides. Invisible ones
// too: format characters (zero-width space and joiners, soft hyphen, word joiner, bidi marks), variation
// selectors and the other default-ignorable code points (combining grapheme joiner, Hangul fillers) render as
// nothing, so "法\u200b轮功" reads as the term on screen.
const SEPARATOR = /[\s\p{P}\p{S}\p{Cf}\p{Variation_Selector}\p{Default_Ignorable_Code_Point}]/u;

// Combining marks (accents, a stack of diacritics written over a letter): dropped on both sides.
const MARK = /[\p{Mn}\p{Me}]/u;

/**
 * Letters of other scripts that look like Latin ones, read as those. Capitals are listed where their lower case
 * looks different (Greek Η is "H", η is "n"); the rest are looked up after lower-casing.
 */
const HOMOGLYPHS = new Map<string, string>([
  // Cyrillic
  ['а', 'a'],
  ['в', 'b'],
  ['В', 'b'],
  ['е', 'e'],
  ['һ', 'h'],
  ['Н', 'h'],
  ['н', 'h'],
  ['і', 'i'],
  ['ј', 'j'],
  ['к', 'k'],
  ['К', 'k'],
  ['м', 'm'],
  ['М', 'm'],
  ['о', 'o'],
  ['р', 'p'],
  ['ԛ', 'q'],
  ['ѕ', 's'],
  ['с', 'c'],
  ['т', 't'],
  ['Т', 't'],
  ['у', 'y'],
  ['ԝ', 'w'],
  ['х', 'x'],
  ['ԁ', 'd'],
  ['ӏ', 'l'],
  // Greek
  ['α', 'a'],
  ['Α', 'a'],
  ['β', 'b'],
  ['Β', 'b'],
  ['ε', 'e'],
  ['Ε', 'e'],
  ['Ζ', 'z'],
  ['Η', 'h'],
  ['η', 'n'],
  ['ι', 'i'],
  ['Ι', 'i'],
  ['κ', 'k'],
  ['Κ', 'k'],
  ['Μ', 'm'],
  ['ν', 'v'],
  ['Ν', 'n'],
  ['ο', 'o'],
  ['Ο', 'o'],
  ['ρ', 'p'],
  ['Ρ', 'p'],
  ['τ', 't'],
  ['Τ', 't'],
  ['υ', 'u'],
  ['Υ', 'y'],
  ['χ', 'x'],
  ['Χ', 'x'],
  ['ω', 'w'],
  // Latin letters that stand in for plain ones
  ['ı', 'i'],
  ['ɡ', 'g'],
  ['ɑ', 'a'],
]);

/** Traditional → simplified, one character to one (OpenCC's TSCharacters; a character with several candidates takes the first). */
const TRADITIONAL_TO_SIMPLIFIED = new Map<string, string>();
for (const entry of tsCharacters.split('|')) {
  const [traditional, simplified] = entry.split(' ');
  if (traditional && simplified && [...traditional].length === 1 && [...simplified].length === 1) TRADITIONAL_TO_SIMPLIFIED.set(traditional, simplified);
}

// The fast path's table for the common Han block: each character's folded form, built once (a Map lookup per
// character measurably slows a stream that is nearly all Han).
const HAN_START = 0x4e00;
const HAN_FOLDS: string[] = Array.from({ length: 0x9fff - HAN_START + 1 }, (_, offset) => {
  const char = String.fromCharCode(HAN_START + offset);
  return TRADITIONAL_TO_SIMPLIFIED.get(char) ?? char;
});

const folds = new Map<string, string>();

/** The folded form of one code point ('' for a separator); Han characters and plain letters take the fast path. */
function fold(char: string): string {
  const code = char.charCodeAt(0);
  if (code >= HAN_START && code <= 0x9fff) return HAN_FOLDS[code - HAN_START]!;
  if ((code >= 0x61 && code <= 0x7a) || (code >= 0x30 && code <= 0x39)) return char;
  if (code >= 0x41 && code <= 0x5a) return String.fromCharCode(code + 32);
  let folded = folds.get(char);
  if (folded === undefined) {
    folded = slowFold(char);
    // Bounded: a hostile stream of distinct rare characters cannot grow it without limit.
    if (folds.size < 65_536) folds.set(char, folded);
  }
  return folded;
}

function slowFold(char: string): string {
  if (SEPARATOR.test(char)) return '';
  let folded = '';
  for (const part of char.normalize('NFKD')) {
    if (SEPARATOR.test(part) || MARK.test(part)) continue;
    const lower = HOMOGLYPHS.get(part) ?? part.toLowerCase();
    for (const letter of lower) folded += HOMOGLYPHS.get(letter) ?? TRADITIONAL_TO_SIMPLIFIED.get(letter) ?? letter;
  }
  return folded;
}

export function foldText(text: string): string {
  let out = '';
  for (const char of text) out += fold(char);
  return out;
}

export class AhoCorasick {
  private readonly next: Map<number, number>[] = [new Map()];
  private fail: Int32Array = new Int32Array(1);
  /** The pattern ending at each node, or -1. */
  private terminal: number[] = [-1];
  /** The nearest node on the failure chain that ends a pattern (the dictionary suffix link), or -1. */
  private outputLink: Int32Array = new Int32Array(1);
  readonly size: number;

  constructor(patterns: readonly string[]) {
    patterns.forEach((pattern, index) => {
      const folded = foldText(pattern);
      if (!folded) return;
      let node = 0;
      for (const char of folded) {
        const code = char.codePointAt(0)!;
        let child = this.next[node]!.get(code);
        if (child === undefined) {
          child = this.next.length;
          this.next.push(new Map());
          this.terminal.push(-1);
          this.next[node]!.set(code, child);
        }
        node = child;
      }
      // A duplicate keeps the first index (its category).
      if (this.terminal[node] === -1) this.terminal[node] = index;
    });
    this.size = patterns.length;
    const count = this.next.length;
    this.fail = new Int32Array(count);
    this.outputLink = new Int32Array(count).fill(-1);
    // Breadth first: a node's failure link is settled before its children's.
    const queue: number[] = [];
    for (const child of this.next[0]!.values()) queue.push(child);
    for (let head = 0; head < queue.length; head++) {
      const node = queue[head]!;
      for (const [code, child] of this.next[node]!) {
        let fallback = this.fail[node]!;
        while (fallback !== 0 && !this.next[fallback]!.has(code)) fallback = this.fail[fallback]!;
        const target = this.next[fallback]!.get(code);
        this.fail[child] = target !== undefined && target !== child ? target : 0;
        const failNode = this.fail[child]!;
        this.outputLink[child] = this.terminal[failNode] !== -1 ? failNode : this.outputLink[failNode]!;
        queue.push(child);
      }
    }
  }

  private step(node: number, code: number, stats?: { steps: number }): number {
    for (;;) {
      if (stats) stats.steps++;
      const child = this.next[node]!.get(code);
      if (child !== undefined) return child;
      if (node === 0) return 0;
      node = this.fail[node]!;
    }
  }

  /**
   * A scanner that carries its state across chunks. With `stats`, counts the automaton's transitions (goto and
   * failure steps): at most twice the characters scanned, whatever the patterns, which is what makes it linear.
   */
  scanner(stats?: { steps: number }): { feed(chunk: string): PatternMatch[] } {
    let node = 0;
    let offset = 0;
    return {
      feed: (chunk: string) => {
        const matches: PatternMatch[] = [];
        for (const char of chunk) {
          offset += char.length;
          for (const folded of fold(char)) {
            node = this.step(node, folded.codePointAt(0)!, stats);
            for (let out = this.terminal[node] !== -1 ? node : this.outputLink[node]!; out !== -1; out = this.outputLink[out]!) {
              matches.push({ pattern: this.terminal[out]!, end: offset });
            }
          }
        }
        return matches;
      },
    };
  }

  search(text: string): PatternMatch[] {
    return this.scanner().feed(text);
  }
}
