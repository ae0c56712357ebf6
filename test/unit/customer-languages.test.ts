import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { answerLanguageNote, CATALOGUE_LANGUAGES, messagesFor, wrongAnswerLanguage } from '../../src/answer/message-catalogue.js';
import { MESSAGES } from '../../src/answer/messages.js';
import { EmbeddingSpaces } from '../../src/embed/embedding-spaces.js';
import type { Embedder } from '../../src/embed/embedder.js';
import { DEFAULT_TUNING, weightsFor } from '../../src/retrieve/tuning.js';
import { detectLanguage, identifyLanguage, kbLanguageFor, languageTagSchema } from '../../src/text/language.js';
import { isRtl, pickLanguage, uiText } from '../../src/web/widget/i18n.js';

// Short support questions with product names mixed in, 4–6 per language (bench/language-id.bench.ts measures them too).
const SHORT: Record<string, string[]> = JSON.parse(readFileSync(new URL('../fixtures/language/short-questions.json', import.meta.url), 'utf8'));

describe("identifying the customer's language", () => {
  it('reads short questions with product names in the languages of South-East Asia, the Middle East, East Asia and Europe', () => {
    // id is read as Malay (ms) by the n-gram model: measured and documented (docs/operations.md "Languages"); the two share the catalogue's fallback.
    for (const [lang, questions] of Object.entries(SHORT).filter(([lang]) => lang !== 'id')) {
      const right = questions.filter((question) => identifyLanguage(question) === lang).length;
      expect(right / questions.length, `${lang}: ${questions.map(identifyLanguage).join(',')}`).toBeGreaterThanOrEqual(lang === 'ru' ? 0.66 : 0.8);
    }
    expect(identifyLanguage('Pulse Band 3 có chống nước không?')).toBe('vi');
    expect(identifyLanguage('Pulse Band 3 ใช้ว่ายน้ำได้ไหม')).toBe('th');
    expect(identifyLanguage('هل يمكنني السباحة بسوار Pulse Band 3؟')).toBe('ar');
  });

  it('reads Chinese and English exactly as the knowledge-base languages did before', () => {
    for (const question of [
      'Lumora Glow 怎么配网',
      '手环充满电要多久？',
      'How long does the battery last?',
      'Connect to Wi-Fi',
      'Does the SmartLock X2 support NFC?',
      'What is the capital of France?',
    ]) {
      expect(identifyLanguage(question)).toBe(detectLanguage(question));
    }
    expect(kbLanguageFor('th')).toBe('en');
    expect(kbLanguageFor('zh')).toBe('zh');
  });

  it('accepts any ISO 639 tag from a client, as its primary code', () => {
    expect(languageTagSchema.parse('pt-BR')).toBe('pt');
    expect(languageTagSchema.parse('TH')).toBe('th');
    expect(languageTagSchema.safeParse('not a language').success).toBe(false);
  });
});

describe('the message catalogue', () => {
  it('speaks each supported language, says which language a quote is in, and falls back to English', () => {
    for (const lang of ['ar', 'th', 'vi', 'es', 'de', 'ru', 'fr', 'ja', 'ko', 'id', 'fa', 'he']) {
      expect(CATALOGUE_LANGUAGES).toContain(lang);
      const say = messagesFor(lang);
      expect(say.refusal('support@x.example')).toContain('support@x.example');
      expect(say.refusal('c')).not.toBe(MESSAGES.refusal.en('c'));
      expect(say.extractiveNotice('en')).not.toBe(say.extractiveNotice('zh'));
    }
    // The identifier reads the refusal in the language it is written for.
    for (const lang of ['ar', 'th', 'vi', 'es', 'de', 'ru', 'fr', 'ja', 'ko', 'fa', 'he']) expect(identifyLanguage(messagesFor(lang).refusal('our support team')), lang).toBe(lang);
    expect(messagesFor('th').extractiveNotice('en')).toContain('ภาษาอังกฤษ');
    expect(messagesFor('zh').refusal('c')).toBe(MESSAGES.refusal.zh('c'));
    expect(messagesFor('en').extractiveNotice('zh')).toBe(MESSAGES.extractiveNotice.en);
    expect(messagesFor('sw').refusal('c')).toBe(MESSAGES.refusal.en('c'));
  });

  it('offers the middle band’s suggestions in each supported language, numbered as the widget reads them', () => {
    for (const lang of CATALOGUE_LANGUAGES.filter((code) => code !== 'zh' && code !== 'en')) {
      const text = messagesFor(lang).suggest(['Can I swim with the Pulse Band 3?', 'How long does charging take?'], 'support@x.example');
      const lines = text.split('\n');
      expect(lines, lang).toHaveLength(4);
      expect(lines[1]).toBe('1. Can I swim with the Pulse Band 3?');
      expect(lines[2]).toBe('2. How long does charging take?');
      expect(lines[3]).toContain('support@x.example');
      expect(text).not.toBe(MESSAGES.suggest.en(['Can I swim with the Pulse Band 3?', 'How long does charging take?'], 'support@x.example'));
    }
    for (const lang of ['ar', 'th', 'vi', 'es', 'de', 'ru', 'ja', 'ko', 'fa', 'he']) expect(identifyLanguage(messagesFor(lang).suggest([], 'our support team').split('\n')[0]), lang).toBe(lang);
    expect(messagesFor('en').suggest(['a'], 'c')).toBe(MESSAGES.suggest.en(['a'], 'c'));
    expect(messagesFor('sw').suggest(['a'], 'c')).toBe(MESSAGES.suggest.en(['a'], 'c'));
  });

  it("asks the model for the customer's language and catches an answer in another", () => {
    expect(answerLanguageNote('th')).toContain('in Thai');
    expect(wrongAnswerLanguage('The band is water resistant to 5 ATM, so you can swim with it in a pool [1].', 'th')).toBe('en');
    expect(wrongAnswerLanguage('สายรัดกันน้ำได้ถึง 5 ATM คุณจึงใส่ว่ายน้ำในสระได้ [1]', 'th')).toBeUndefined();
    expect(wrongAnswerLanguage('Yes [1].', 'th')).toBeUndefined(); // too short to tell
    expect(wrongAnswerLanguage('Any answer at all, in English.', 'en')).toBeUndefined(); // zh/en answers are not checked here
  });
});

describe('the multilingual embedding space', () => {
  const model = (key: string): Embedder => ({ modelKey: key, dimension: 4, maxEmbeddingsPerCall: 8, embedPassages: async () => [], embedQuery: async () => new Float32Array(4), countTokens: () => 1 });
  const spaces = new EmbeddingSpaces(model('zh'), { en: model('en') }, model('multi'));

  it('embeds every chunk but is searched only for questions in languages the knowledge base is not written in', () => {
    expect(spaces.embedding('en').map((space) => space.column)).toEqual(['vector', 'vector_en', 'vector_multi']);
    expect(spaces.embedding('zh').map((space) => space.column)).toEqual(['vector', 'vector_multi']);
    expect(spaces.covering('en').map((space) => space.column)).toEqual(['vector', 'vector_en']);
    expect(spaces.covering('zh').map((space) => space.column)).toEqual(['vector']);
    expect(spaces.covering('th').at(-1)!.column).toBe('vector_multi');
    expect(spaces.map((embedder) => embedder).multilingual?.modelKey).toBe('multi');
  });

  it('weighs the multilingual list for other languages, and the primary takes its weight when the table has none', () => {
    expect(weightsFor(DEFAULT_TUNING, 'th', new Set(['dense:vector', 'dense:vector_multi', 'lexical']))).toEqual({ 'dense:vector_multi': 1, lexical: 0.3 });
    expect(weightsFor(DEFAULT_TUNING, 'th', new Set(['dense:vector', 'lexical']))).toEqual({ 'dense:vector': 1, lexical: 0.3 });
    expect(weightsFor(DEFAULT_TUNING, 'zh', new Set(['dense:vector', 'dense:vector_multi', 'lexical']))).toEqual({ 'dense:vector': 1, lexical: 1 });
  });
});

describe('the widget in other languages', () => {
  it('has its own strings for the supported languages, English for the rest, and lays Arabic, Persian and Hebrew out right to left', () => {
    expect(pickLanguage('ar', ['en-US'])).toBe('ar');
    expect(pickLanguage('auto', ['th-TH', 'en'])).toBe('th');
    expect(pickLanguage(undefined, ['sw-KE', 'en'])).toBe('en');
    expect(pickLanguage(undefined, ['zh-CN', 'en'])).toBe('zh');
    expect(uiText('ar').send).toBe('إرسال');
    expect(uiText('ar').handoffTitle).toBe(uiText('en').handoffTitle);
    expect(uiText('sw')).toEqual(uiText('en'));
    expect([isRtl('ar'), isRtl('fa'), isRtl('he'), isRtl('th')]).toEqual([true, true, true, false]);
  });
});
