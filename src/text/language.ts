export type Language = 'zh' | 'en';

const HAN = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]/g;
const LATIN_WORD = /[A-Za-z]+/g;

/**
 * Chinese when Han characters make up a real share of the text. Latin words count as one unit each,
 * so "Lumora Glow 怎么配网" is Chinese while an English sentence with one product name in Han is not.
 */
export function detectLanguage(text: string): Language {
  const han = text.match(HAN)?.length ?? 0;
  const words = text.match(LATIN_WORD)?.length ?? 0;
  if (han === 0) return 'en';
  return han >= words * 0.5 ? 'zh' : 'en';
}

/** Normalisation used for matching and cache keys: NFKC folds full-width forms, case and spacing collapse. */
export function normalizeForMatch(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
}
