/**
 * Splits text into sentences for chunking. Chinese sentences end at 。！？； (optionally followed by a
 * closing quote or bracket); English ones at . ! ? followed by whitespace. Blank lines and list items
 * are hard boundaries too. Keeping these boundaries is what stops a CJK chunk ending mid-sentence.
 */
export function splitSentences(text: string): string[] {
  const sentences: string[] = [];
  for (const block of text.split(/\n\s*\n/)) {
    const lines = block.split(/\n(?=\s*(?:[-*+]|\d+[.)、]|#{1,6})\s)/);
    for (const line of lines) splitLine(line, sentences);
  }
  return sentences;
}

const CJK_END = new Set(['。', '！', '？', '；']);
const CJK_CLOSING = new Set(['”', '’', '」', '』', '）', ')']);
const LATIN_END = new Set(['.', '!', '?']);

/**
 * One pass over the line, so the cost is linear in its length whatever it holds. (The regular expression
 * this replaces backtracked over every run of "." not followed by a space: quadratic, hours on a
 * pathological 20 MB file.)
 */
function splitLine(line: string, out: string[]): void {
  let start = 0;
  const emit = (end: number) => {
    const sentence = line.slice(start, end).trim();
    if (sentence) out.push(sentence);
    start = end;
  };
  let index = 0;
  while (index < line.length) {
    const char = line[index];
    if (CJK_END.has(char)) {
      index++;
      while (index < line.length && CJK_CLOSING.has(line[index])) index++;
      emit(index);
    } else if (LATIN_END.has(char)) {
      while (index < line.length && LATIN_END.has(line[index])) index++;
      if (index >= line.length || /\s/.test(line[index])) emit(index);
    } else index++;
  }
  emit(line.length);
}

/** Splits an over-long sentence at clause punctuation, then, only as the last resort, by length. */
export function splitClauses(sentence: string): string[] {
  return sentence.split(/(?<=[，,、：:])/).map((part) => part.trim()).filter(Boolean);
}

const CJK_CHAR = /^[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]$/;

/**
 * Joins sentences back, without a space between CJK sentences and with one between Latin ones. Only the last
 * character of the text so far is looked at: testing `/…$/` against the growing text rescanned it on every
 * sentence (quadratic: an e-mail of 100,000 "？" took seconds).
 */
export function joinSentences(parts: string[]): string {
  const pieces: string[] = [];
  let last = '';
  for (const part of parts) {
    if (!part) continue;
    if (pieces.length && !(CJK_CHAR.test(last) && CJK_CHAR.test(part[0]!))) pieces.push(' ');
    pieces.push(part);
    last = part.at(-1)!;
  }
  return pieces.join('');
}
