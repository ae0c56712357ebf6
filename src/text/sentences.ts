/**
 * Splits text into sentences for chunking. Chinese sentences end at 。！？； (optionally followed by a
 * closing quote or bracket); English ones at . ! ? followed by whitespace. Blank lines and list items
 * are hard boundaries too. Keeping these boundaries is what stops a CJK chunk ending mid-sentence.
 */
export function splitSentences(text: string): string[] {
  const sentences: string[] = [];
  for (const block of text.split(/\n\s*\n/)) {
    const lines = block.split(/\n(?=\s*(?:[-*+]|\d+[.)、]|#{1,6})\s)/);
    for (const line of lines) {
      const pattern = /[^。！？；!?]*?(?:[。！？；][”’」』）)]*|[.!?]+(?=\s|$)["')\]]*|$)/g;
      let match: RegExpExecArray | null;
      while ((match = pattern.exec(line)) !== null) {
        if (match[0] === '') {
          pattern.lastIndex++;
          if (pattern.lastIndex > line.length) break;
          continue;
        }
        const sentence = match[0].trim();
        if (sentence) sentences.push(sentence);
      }
    }
  }
  return sentences;
}

/** Splits an over-long sentence at clause punctuation, then, only as the last resort, by length. */
export function splitClauses(sentence: string): string[] {
  return sentence.split(/(?<=[，,、：:])/).map((part) => part.trim()).filter(Boolean);
}

/** Joins sentences back, without a space between CJK sentences and with one between Latin ones. */
export function joinSentences(parts: string[]): string {
  let out = '';
  for (const part of parts) {
    if (!out) out = part;
    else if (/[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]$/.test(out) && /^[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]/.test(part)) out += part;
    else out += ' ' + part;
  }
  return out;
}
