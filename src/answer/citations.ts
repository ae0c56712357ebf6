/** Citation markers the model wrote: [1], [2], also 【1】 and [1, 3] / [1][2]. */
export function citedNumbers(answer: string): number[] {
  const numbers = new Set<number>();
  for (const match of answer.matchAll(/[[【]\s*(\d+(?:\s*[,，、]\s*\d+)*)\s*[\]】]/g)) {
    for (const part of match[1].split(/[,，、]/)) numbers.add(Number(part.trim()));
  }
  return [...numbers];
}

/**
 * Checks the model's citations against the sources it was given: returns the valid numbers (in order
 * of first use) and strips markers that point at no source, so the text never shows a dangling [7].
 */
export function checkCitations(answer: string, givenNumbers: Set<number>): { text: string; used: number[]; invalid: number[] } {
  const used: number[] = [];
  const invalid: number[] = [];
  for (const n of citedNumbers(answer)) (givenNumbers.has(n) ? used : invalid).push(n);
  const text = answer.replace(/[[【]\s*(\d+(?:\s*[,，、]\s*\d+)*)\s*[\]】]/g, (_marker, list: string) => {
    const kept = list.split(/[,，、]/).map((part) => Number(part.trim())).filter((n) => givenNumbers.has(n));
    return kept.map((n) => `[${n}]`).join('');
  });
  return { text, used, invalid };
}
