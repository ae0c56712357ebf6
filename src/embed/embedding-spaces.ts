import { isKbLanguage, type Language, type LanguageCode } from '../text/language.js';
import type { Embedder } from './embedder.js';

/**
 * One vector column of the knowledge table and the model that fills it. The primary space embeds every
 * chunk; a language space (e.g. bge-small-en for English) embeds only chunks and questions in its languages,
 * where it is the better model. Which spaces a question is searched in is retrieval's choice (tuning.ts: an
 * English question is searched in its own space only).
 */
export interface EmbeddingSpace {
  /** Column in the knowledge table: "vector" for the primary space, "vector_<lang>" for a language space. */
  readonly column: string;
  readonly embedder: Embedder;
  /** Undefined for the primary space (all text); otherwise the languages this model is used for. */
  readonly languages?: readonly LanguageCode[];
  /**
   * The multilingual space: embeds every chunk, like the primary, but is searched only for questions in languages
   * the knowledge base is not written in (a Thai or Arabic question against English and Chinese text).
   */
  readonly otherLanguages?: true;
}

/** Column of the multilingual space. */
export const MULTILINGUAL_COLUMN = 'vector_multi';

/** The primary space first, then the language spaces. */
export class EmbeddingSpaces {
  readonly all: readonly EmbeddingSpace[];

  constructor(
    primary: Embedder,
    languageModels: Partial<Record<Language, Embedder>> = {},
    /** The multilingual model (last, so a question in another language is scored with it: see stages.ts). */
    readonly multilingual?: Embedder,
  ) {
    const extra = Object.entries(languageModels)
      .filter((entry): entry is [Language, Embedder] => Boolean(entry[1]))
      .map(([lang, embedder]) => ({ column: `vector_${lang}`, embedder, languages: [lang] as const }));
    const multi: EmbeddingSpace[] = multilingual ? [{ column: MULTILINGUAL_COLUMN, embedder: multilingual, otherLanguages: true }] : [];
    this.all = [{ column: 'vector', embedder: primary }, ...extra, ...multi];
  }

  /** The primary model: it also measures chunk sizes, so chunking does not depend on which spaces exist. */
  get primary(): Embedder {
    return this.all[0].embedder;
  }

  /** Every model and its settings: part of every document hash, so adding or changing a model re-embeds. */
  get modelKey(): string {
    return this.all.map((space) => `${space.column}=${space.embedder.modelKey}`).join(';');
  }

  /** Column name → vector dimension, the shape of the table these spaces write. */
  get dimensions(): Record<string, number> {
    return Object.fromEntries(this.all.map((space) => [space.column, space.embedder.dimension]));
  }

  /** The same spaces with each model wrapped (a gate, a cache): columns and languages unchanged. */
  map(wrap: (embedder: Embedder) => Embedder): EmbeddingSpaces {
    const [primary, ...rest] = this.all;
    const languages = rest.filter((space) => space.languages);
    return new EmbeddingSpaces(
      wrap(primary.embedder),
      Object.fromEntries(languages.map((space) => [space.languages![0], wrap(space.embedder)])),
      this.multilingual ? wrap(this.multilingual) : undefined,
    );
  }

  /** Spaces that embed a chunk in `lang`: every chunk is in the primary and the multilingual space. */
  embedding(lang: string): EmbeddingSpace[] {
    return this.all.filter((space) => !space.languages || space.languages.includes(lang));
  }

  /** Spaces a question in `lang` may be searched in: the multilingual one only for languages the knowledge base is not in. */
  covering(lang: string): EmbeddingSpace[] {
    return this.embedding(lang).filter((space) => !space.otherLanguages || !isKbLanguage(lang));
  }
}
