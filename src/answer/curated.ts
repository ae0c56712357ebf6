import { createHash, randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { readRulesFile } from '../config/rules-file.js';
import { z } from 'zod';
import type { EmbeddingSpaces } from '../embed/embedding-spaces.js';
import { dot, type Embedder } from '../embed/embedder.js';
import { conflict, notFound, unavailable } from '../errors.js';
import type { SharedState } from '../state/shared-state.js';
import type { Language } from '../text/language.js';
import { audienceList, keyAudiences, visibleTo } from '../store/audiences.js';

/**
 * Curated answers, the rule layer: ops pin an exact answer to a question (and its paraphrases). A question
 * close enough to one of them (embedding similarity over a measured threshold) is answered with it at once,
 * without retrieval or the LLM; when the LLM fails, a looser match is the first fallback. Entries come from
 * `knowledge/curated/*.yaml` (read-only here, edited in the files) and from the admin API, kept as an
 * append-only log in the shared state so every replica serves the same set within `refreshSeconds`.
 */
export const curatedSpec = z
  .object({
    question: z.string().trim().min(1).max(500),
    answer: z.string().trim().min(1).max(4000),
    lang: z.enum(['zh', 'en']),
    productLine: z.string().trim().min(1).max(100).optional(),
    paraphrases: z.array(z.string().trim().min(1).max(500)).max(50).default([]),
    /** Who it is for (docs/audiences.md): absent is everyone; `[agents]` answers agents' keys only. */
    audiences: audienceList.optional(),
  })
  .strict();
export type CuratedSpec = z.infer<typeof curatedSpec>;

export interface CuratedEntry extends CuratedSpec {
  id: string;
  source: 'file' | 'admin-api';
  /** For file entries: the file it came from (relative to the curated folder). */
  file?: string;
  updatedAt?: string;
  updatedBy?: string;
}

export interface CuratedMatch {
  entry: CuratedEntry;
  similarity: number;
  /** The wording of the entry that matched best (its question or a paraphrase). */
  matched: string;
}

type CuratedEvent = { action: 'put'; entry: CuratedEntry; at: string } | { action: 'delete'; id: string; at: string; by: string };

export const CURATED_LOG = 'curated-answers';
const CURATED_LOG_MAX = 100_000;
/** Curated entries live until deleted: their log is never trimmed by age. */
export const CURATED_LOG_RETENTION_SECONDS = 100 * 365 * 86_400;

const fileSchema = z.object({ answers: z.array(curatedSpec.extend({ id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/) })) });

/** Reads every `*.yaml` in `directory` (none there is fine); an invalid file stops start-up with its name and the entry at fault. */
export async function loadCuratedFiles(directory: string): Promise<CuratedEntry[]> {
  let names: string[];
  try {
    names = (await readdir(directory)).filter((name) => /\.ya?ml$/i.test(name)).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const entries: CuratedEntry[] = [];
  const seen = new Set<string>();
  for (const name of names) {
    const file = path.join(directory, name);
    for (const entry of (await readRulesFile(file, fileSchema, 'curated answers')).answers) {
      if (seen.has(entry.id)) throw new Error(`Invalid curated answers in ${file}: id "${entry.id}" is used twice`);
      seen.add(entry.id);
      entries.push({ ...entry, source: 'file', file: name });
    }
  }
  return entries;
}

export interface CuratedSettings {
  /** A question at least this similar to an entry's wording (per language) is answered with it. */
  similarity: Record<Language, number>;
  /** When the LLM fails, an entry at least this similar is the fallback, before a quoted passage. */
  fallbackSimilarity: Record<Language, number>;
  refreshSeconds: number;
}

/** The model whose space judges a question in `lang`: the language's own model when there is one. */
export const matchingEmbedder = (embedders: EmbeddingSpaces, lang: Language): Embedder => embedders.covering(lang).at(-1)!.embedder;

export class CuratedAnswers {
  private timer?: NodeJS.Timeout;
  private entries: CuratedEntry[] = [];
  /** Per entry id: the vectors of its question and paraphrases, in its language's space. */
  private vectors = new Map<string, { texts: string[]; vectors: Float32Array[]; key: string }>();
  private currentRevision = '';

  constructor(
    private readonly state: SharedState,
    private readonly embedders: EmbeddingSpaces,
    private readonly fromFiles: readonly CuratedEntry[],
    readonly settings: CuratedSettings,
  ) {}

  async start(): Promise<this> {
    await this.refresh().catch(() => undefined);
    if (!this.entries.length) await this.apply([...this.fromFiles]);
    this.timer = setInterval(() => void this.refresh().catch(() => undefined), this.settings.refreshSeconds * 1000);
    this.timer.unref();
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  list(): CuratedEntry[] {
    return [...this.entries].sort((a, b) => a.id.localeCompare(b.id));
  }

  get(id: string): CuratedEntry {
    const entry = this.entries.find((candidate) => candidate.id === id);
    if (!entry) throw notFound('curated_not_found', `No curated answer with id "${id}"`);
    return entry;
  }

  /** Reads the log and applies it over the file entries: an API entry may not take a file entry's id. */
  async refresh(): Promise<void> {
    const events = await this.state.readLog(CURATED_LOG, CURATED_LOG_MAX);
    if (this.state.isDegraded) return;
    const fromApi = new Map<string, CuratedEntry>();
    for (const { entry } of events) {
      const event = entry as unknown as CuratedEvent;
      if (event.action === 'put') fromApi.set(event.entry.id, event.entry);
      else if (event.action === 'delete') fromApi.delete(event.id);
    }
    const fileIds = new Set(this.fromFiles.map((entry) => entry.id));
    await this.apply([...this.fromFiles, ...[...fromApi.values()].filter((entry) => !fileIds.has(entry.id))]);
  }

  async create(spec: CuratedSpec, by: string): Promise<CuratedEntry> {
    return this.put({ ...spec, id: randomUUID(), source: 'admin-api', updatedAt: new Date().toISOString(), updatedBy: by });
  }

  async update(id: string, changes: Partial<CuratedSpec>, by: string): Promise<CuratedEntry> {
    await this.refresh();
    const current = this.writable(id);
    const next = curatedSpec.parse({
      question: current.question,
      answer: current.answer,
      lang: current.lang,
      productLine: current.productLine,
      paraphrases: current.paraphrases,
      audiences: current.audiences,
      ...changes,
    });
    return this.put({ ...next, id, source: 'admin-api', updatedAt: new Date().toISOString(), updatedBy: by });
  }

  async delete(id: string, by: string): Promise<void> {
    await this.refresh();
    this.writable(id);
    this.requireShared();
    await this.state.appendLog(CURATED_LOG, { action: 'delete', id, at: new Date().toISOString(), by } satisfies CuratedEvent, CURATED_LOG_MAX);
    await this.refresh();
  }

  /**
   * The closest entry in the question's language (and, when the caller states a product line, for that line
   * or for none), if at least `minimum` similar. The question vector is the one retrieval computes anyway
   * (the embedder's cache answers it), so matching costs one dot product per wording.
   */
  async match(question: string, lang: Language, options: { productLine?: string; minimum?: number; audiences?: readonly string[] } = {}): Promise<CuratedMatch | undefined> {
    // An entry for agents is never a customer's answer: without audiences, the asker is the public.
    const allowed = keyAudiences(options.audiences);
    const candidates = this.entries.filter(
      (entry) => entry.lang === lang && (!options.productLine || !entry.productLine || entry.productLine === options.productLine) && visibleTo(entry.audiences, allowed),
    );
    if (!candidates.length) return undefined;
    const vector = await matchingEmbedder(this.embedders, lang).embedQuery(question);
    let best: CuratedMatch | undefined;
    for (const entry of candidates) {
      const known = this.vectors.get(entry.id);
      if (!known) continue;
      known.vectors.forEach((candidate, index) => {
        const similarity = dot(vector, candidate);
        if (!best || similarity > best.similarity) best = { entry, similarity, matched: known.texts[index] };
      });
    }
    return best && best.similarity >= (options.minimum ?? this.settings.similarity[lang]) ? best : undefined;
  }

  private writable(id: string): CuratedEntry {
    const entry = this.get(id);
    if (entry.source === 'file') throw conflict('curated_read_only', `Curated answer "${id}" comes from knowledge/curated/${entry.file}: edit it there`);
    return entry;
  }

  private async put(entry: CuratedEntry): Promise<CuratedEntry> {
    this.requireShared();
    await this.state.appendLog(CURATED_LOG, { action: 'put', entry, at: entry.updatedAt ?? new Date().toISOString() } satisfies CuratedEvent, CURATED_LOG_MAX);
    await this.refresh();
    return this.get(entry.id);
  }

  /** Makes `entries` current, embedding only wordings not embedded before. */
  private async apply(entries: CuratedEntry[]): Promise<void> {
    const vectors = new Map<string, { texts: string[]; vectors: Float32Array[]; key: string }>();
    for (const entry of entries) {
      const texts = [entry.question, ...entry.paraphrases];
      const key = JSON.stringify([entry.lang, texts]);
      const known = this.vectors.get(entry.id);
      if (known?.key === key) {
        vectors.set(entry.id, known);
        continue;
      }
      // Questions against questions: both sides embedded as queries, so a model's query prefix applies to both.
      const embedder = matchingEmbedder(this.embedders, entry.lang);
      vectors.set(entry.id, { texts, key, vectors: await Promise.all(texts.map((text) => embedder.embedQuery(text))) });
    }
    this.entries = entries;
    this.vectors = vectors;
    this.currentRevision = createHash('sha256').update(JSON.stringify(entries)).digest('hex').slice(0, 16);
  }

  /** Changes whenever an entry is added, edited or removed: part of every answer-cache key. */
  get revision(): string {
    return this.currentRevision;
  }

  private requireShared(): void {
    if (this.state.isDegraded) throw unavailable('state_unavailable', 'Curated answers cannot be changed while the shared state (Redis) is unreachable; retry when it is back');
  }
}
