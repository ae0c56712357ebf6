import { eld } from 'eld/large';
import { z } from 'zod';

/**
 * A language as an ISO 639-1 code ("th", "ar", "vi", …): any language a customer writes in. Open on
 * purpose: the knowledge base's languages are only two of them (see KbLanguage).
 */
export type LanguageCode = string;

/** The languages knowledge bases are written in, each with its own embedding model and fitted thresholds. */
export type KbLanguage = 'zh' | 'en';
export const KB_LANGUAGES: readonly KbLanguage[] = ['zh', 'en'];
export const isKbLanguage = (lang: string): lang is KbLanguage => lang === 'zh' || lang === 'en';

/**
 * The further languages the service's own texts are translated into (src/answer/message-catalogue.ts has one entry
 * each, checked by its type); a customer writing in any other language reads English. Each may have its own hand-off
 * contact (HANDOFF_CONTACT_<LANG>, a workspace's `handoffContact`).
 */
export const TRANSLATED_LANGUAGES = ['ar', 'fa', 'he', 'th', 'vi', 'id', 'ms', 'ja', 'ko', 'es', 'pt', 'fr', 'de', 'ru', 'tr'] as const;
export type TranslatedLanguage = (typeof TRANSLATED_LANGUAGES)[number];
export const isTranslatedLanguage = (lang: string): lang is TranslatedLanguage => (TRANSLATED_LANGUAGES as readonly string[]).includes(lang);

/** The languages a hand-off contact may be given for: the knowledge base's and the translated ones. */
export type ContactLanguage = KbLanguage | TranslatedLanguage;
export const CONTACT_LANGUAGES: readonly ContactLanguage[] = [...KB_LANGUAGES, ...TRANSLATED_LANGUAGES];

/**
 * The language a text is processed as on the knowledge-base side: Chinese or English. Kept under its old
 * name because most of the answer path (thresholds, answerability models, punctuation, prompts) is fitted
 * per knowledge-base language; the customer's own language is `identifyLanguage`.
 */
export type Language = KbLanguage;

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

/**
 * Scripts that belong to one language each: decided before the n-gram model, which does not know Burmese
 * or Khmer and reads a short kanji-heavy Japanese question as Chinese (measured: docs/operations.md "Languages").
 */
const SINGLE_LANGUAGE_SCRIPTS: [RegExp, LanguageCode][] = [
  [/[\u3040-\u309f\u30a0-\u30ff]/, 'ja'],
  [/[\uac00-\ud7af\u1100-\u11ff]/, 'ko'],
  [/[\u0e00-\u0e7f]/, 'th'],
  [/[\u0e80-\u0eff]/, 'lo'],
  [/[\u1000-\u109f]/, 'my'],
  [/[\u1780-\u17ff]/, 'km'],
  [/[\u0590-\u05ff]/, 'he'],
  [/[\u10a0-\u10ff]/, 'ka'],
  [/[\u0530-\u058f]/, 'hy'],
  [/[\u0370-\u03ff]/, 'el'],
];

/** Letters of any script other than Latin: a text with none is English unless the model is sure. */
const NON_LATIN_LETTER = /[^\p{Script=Latin}\P{L}]/u;

/**
 * The customer's language, as an ISO 639-1 code. Single-language scripts first; Chinese by the Han share
 * (as detectLanguage, so Chinese and English questions are read exactly as before); then the ELD n-gram model
 * (`eld`, 60 languages), trusted for Latin-script text only when it calls its result reliable, since a short
 * English question full of product names is otherwise sometimes read as Italian or Dutch. English when nothing
 * is known. Measured on short support questions with product names mixed in: docs/operations.md "Languages".
 */
export function identifyLanguage(text: string): LanguageCode {
  for (const [script, lang] of SINGLE_LANGUAGE_SCRIPTS) if (script.test(text)) return lang;
  if (detectLanguage(text) === 'zh') return 'zh';
  const sample = text.slice(0, 1000);
  const result = eld.detect(sample);
  if (!result.language) return 'en';
  if (!NON_LATIN_LETTER.test(sample) && !result.isReliable()) return 'en';
  // Latin-script text the model gives to another language by a hair is still English: an English question
  // ("How do I cook pasta al dente?") must not become Italian and leave the English pipeline.
  if (result.language !== 'en' && !NON_LATIN_LETTER.test(sample)) {
    const scores = result.getScores() as Record<string, number>;
    if ((scores.en ?? 0) >= (scores[result.language] ?? 0) * ENGLISH_MARGIN) return 'en';
  }
  return result.language;
}

/** English wins a Latin-script text when its score is within this share of the best language's. */
const ENGLISH_MARGIN = 0.9;

/** The knowledge-base language a customer's language is processed as: itself for zh/en, else English. */
export function kbLanguageFor(lang: LanguageCode): KbLanguage {
  return isKbLanguage(lang) ? lang : 'en';
}

/** Right-to-left scripts: the widget and e-mail lay these out from the right. */
export const RTL_LANGUAGES: ReadonlySet<LanguageCode> = new Set(['ar', 'fa', 'he', 'ur', 'ps', 'ku', 'yi']);

/** A BCP 47-ish tag a client sent ("pt-BR", "zh_CN", "TH") as its lower-case primary code, or undefined. */
export function normalizeLanguageTag(tag: string | undefined): LanguageCode | undefined {
  const primary = /^([a-z]{2,3})(?:[-_][a-z0-9]+)*$/i.exec(tag?.trim() ?? '')?.[1]?.toLowerCase();
  return primary;
}

/** A client's language tag as a schema: any ISO 639 code or BCP 47 tag, kept as its lower-case primary code. */
export const languageTagSchema = z
  .string()
  .regex(/^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*$/, 'must be an ISO 639 language code such as "th" or "pt-BR"')
  .transform((tag) => normalizeLanguageTag(tag)!);

/** Normalisation used for matching and cache keys: NFKC folds full-width forms, case and spacing collapse. */
export function normalizeForMatch(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
}
