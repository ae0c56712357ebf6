import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { z } from 'zod';
import { conflict, invalid, notFound } from '../../errors.js';
import { audienceList } from '../../store/audiences.js';

/**
 * Knowledge sources as configuration (docs/sources.md): the knowledge folder (always there, id `knowledge`),
 * websites and help centres. They live in SOURCES_FILE (`knowledge/sources.yaml`), which the admin API edits;
 * every ingestion reads it, so all replicas sharing the knowledge folder see the same list.
 */

export const FOLDER_SOURCE_ID = 'knowledge';

const id = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,47}$/, 'id: 1–48 lower-case letters, digits, _ or -, starting with a letter or digit');
const httpUrl = z
  .string()
  .max(2000)
  .refine((text) => {
    try {
      const url = new URL(text);
      return (url.protocol === 'http:' || url.protocol === 'https:') && !url.username && !url.password;
    } catch {
      return false;
    }
  }, 'an http(s) URL without credentials');
/** "30m", "6h", "1d", or "manual" (only "sync now" and re-ingests). */
const schedule = z
  .string()
  .regex(/^(manual|\d{1,5}[mhd])$/, 'schedule: "manual" or an interval like 30m, 6h, 1d')
  .default('manual');

const limits = z
  .object({
    maxPages: z.number().int().min(1).max(100_000).default(1000),
    maxPageBytes: z
      .number()
      .int()
      .min(1024)
      .max(100 * 1024 * 1024)
      .default(5 * 1024 * 1024),
    maxBytes: z
      .number()
      .int()
      .min(1024)
      .max(20 * 1024 * 1024 * 1024)
      .default(500 * 1024 * 1024),
    maxDepth: z.number().int().min(0).max(50).default(5),
    maxRedirects: z.number().int().min(0).max(20).default(5),
    timeoutMs: z.number().int().min(100).max(300_000).default(15_000),
    concurrency: z.number().int().min(1).max(16).default(2),
    delayMs: z.number().int().min(0).max(60_000).default(250),
    maxSitemapUrls: z.number().int().min(1).max(1_000_000).default(50_000),
    maxSitemapBytes: z
      .number()
      .int()
      .min(1024)
      .max(500 * 1024 * 1024)
      .default(50 * 1024 * 1024),
    /** A Retry-After longer than this ends the page's attempts (it is retried at the next sync). */
    maxRetryAfterSeconds: z.number().int().min(0).max(3600).default(30),
    /** After this many failed pages (5xx, timeouts) with more failures than successes, the sync stops: the site is in trouble. */
    maxFailures: z.number().int().min(1).max(100_000).default(20),
  })
  .strict();

const common = {
  id,
  name: z.string().max(200).optional(),
  /** Every document of the source gets this product line; otherwise the product-line rules decide. */
  productLine: z.string().max(100).optional(),
  /**
   * Who may see the source's documents (docs/audiences.md); public when absent. For the knowledge folder it is the
   * default under its own rules (a document's front matter, a folder's `.audiences.yaml`).
   */
  audiences: audienceList.optional(),
  schedule,
  enabled: z.boolean().default(true),
};

const folderSource = z.object({ ...common, id: z.literal(FOLDER_SOURCE_ID), type: z.literal('folder') }).strict();

const websiteSource = z
  .object({
    ...common,
    type: z.literal('website'),
    /** Where the crawl starts; their origins (and `hosts`) make the site. */
    startUrls: z.array(httpUrl).min(1).max(100),
    /** Sitemaps (or sitemap indexes); default: the `Sitemap:` lines of robots.txt, else /sitemap.xml. */
    sitemaps: z.array(httpUrl).max(100).optional(),
    /** Path patterns a page must match (a prefix, or a glob with * and **); default: everything on the site. */
    include: z.array(z.string().min(1).max(500)).max(100).default([]),
    exclude: z.array(z.string().min(1).max(500)).max(100).default([]),
    /** Follow links found in pages (besides the sitemap). */
    followLinks: z.boolean().default(true),
    limits: limits.default(limits.parse({})),
  })
  .strict();

const zendeskSource = z
  .object({
    ...common,
    type: z.literal('zendesk'),
    /** The help centre, e.g. https://acme.zendesk.com (its /api/v2/help_center/... API is read). */
    baseUrl: httpUrl,
    locales: z
      .array(z.string().regex(/^[a-z]{2}(-[a-z0-9]{2,4})?$/i))
      .min(1)
      .max(20)
      .default(['en-us']),
    /** Sections (or categories) as product lines: `{ "<section id>": "<product line>" }`. */
    productLines: z.record(z.string(), z.string()).default({}),
    limits: limits.default(limits.parse({})),
  })
  .strict();

const freshdeskSource = z
  .object({
    ...common,
    type: z.literal('freshdesk'),
    /** The helpdesk, e.g. https://acme.freshdesk.com (its /api/v2/solutions/... API is read with the key in SOURCE_API_KEYS). */
    baseUrl: httpUrl,
    /** Where customers read the articles, for citations (a custom portal domain); default: baseUrl. */
    portalUrl: httpUrl.optional(),
    /** The knowledge base's language (Freshdesk's primary language); otherwise each article's text decides. */
    language: z.enum(['zh', 'en']).optional(),
    /** Translations to import besides the primary language, as Freshdesk's language codes (e.g. zh-CN, fr). */
    languages: z
      .array(z.string().regex(/^[a-z]{2,3}(-[a-z0-9]{2,4})?$/i))
      .max(20)
      // Codes are case-insensitive: zh-CN and zh-cn would import every translation twice, at two addresses.
      .refine((codes) => new Set(codes.map((code) => code.toLowerCase())).size === codes.length, 'each language once')
      .default([]),
    /** Categories as product lines: `{ "<category id>": "<product line>" }`. */
    productLines: z.record(z.string(), z.string()).default({}),
    limits: limits.default(limits.parse({})),
  })
  .strict();

export const sourceSpec = z.discriminatedUnion('type', [folderSource, websiteSource, zendeskSource, freshdeskSource]);
export type SourceSpec = z.infer<typeof sourceSpec>;
export type WebsiteSource = z.infer<typeof websiteSource>;
export type ZendeskSource = z.infer<typeof zendeskSource>;
export type FreshdeskSource = z.infer<typeof freshdeskSource>;
export type SourceLimits = z.infer<typeof limits>;

const sourcesFile = z
  .object({ sources: z.array(sourceSpec).max(200).default([]) })
  .strict()
  .superRefine((file, context) => {
    const seen = new Set<string>();
    for (const [index, source] of file.sources.entries()) {
      if (seen.has(source.id)) context.addIssue({ code: 'custom', path: ['sources', index, 'id'], message: `duplicate source id "${source.id}"` });
      seen.add(source.id);
    }
  });

/** The implicit folder source: the knowledge folder, synced by every ingestion. */
export const DEFAULT_FOLDER_SOURCE: SourceSpec = sourceSpec.parse({ id: FOLDER_SOURCE_ID, type: 'folder' });

/** Milliseconds between scheduled syncs; undefined for "manual". */
export function scheduleMs(source: Pick<SourceSpec, 'schedule'>): number | undefined {
  const match = /^(\d+)([mhd])$/.exec(source.schedule);
  if (!match) return undefined;
  return Number(match[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 'm' | 'h' | 'd'];
}

/** The prefix of the `source_path` of every document a (non-folder) source produced: how a stored document remembers its source. */
export function sourcePathPrefix(sourceId: string): string {
  return `source:${sourceId}/`;
}

/** The source a stored document came from, by its `source_path`. */
export function sourceOfPath(sourcePath: string): string {
  const match = /^source:([a-z0-9][a-z0-9_-]*)\//.exec(sourcePath);
  return match ? match[1] : FOLDER_SOURCE_ID;
}

export class SourceFileError extends Error {
  override name = 'SourceFileError';
}

/** Reads and validates the sources file; a missing file is just the knowledge folder. */
export async function loadSources(file: string): Promise<SourceSpec[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [DEFAULT_FOLDER_SOURCE];
    throw error;
  }
  const result = sourcesFile.safeParse(parse(text) ?? {});
  if (!result.success) {
    throw new SourceFileError(`${file}: ${result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  }
  const sources = result.data.sources;
  return sources.some((source) => source.id === FOLDER_SOURCE_ID) ? sources : [DEFAULT_FOLDER_SOURCE, ...sources];
}

/**
 * The admin API's view of the sources file: list, create, update, delete. Each change re-reads the file,
 * validates the whole list and writes it atomically (a temporary file renamed into place), one change at a
 * time per process.
 */
export class SourceRegistry {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly file: string) {}

  list(): Promise<SourceSpec[]> {
    return loadSources(this.file);
  }

  async get(sourceId: string): Promise<SourceSpec> {
    const source = (await this.list()).find((entry) => entry.id === sourceId);
    if (!source) throw notFound('source_not_found', `No source "${sourceId}"`);
    return source;
  }

  create(input: unknown): Promise<SourceSpec> {
    return this.change((sources) => {
      const source = sourceSpec.parse(input);
      if (sources.some((entry) => entry.id === source.id)) throw conflict('source_exists', `A source "${source.id}" exists already`);
      if (source.type === 'folder') throw invalid('folder_source', 'There is one folder source, the knowledge folder: it always exists');
      return { sources: [...sources, source], result: source };
    });
  }

  update(sourceId: string, changes: Record<string, unknown>): Promise<SourceSpec> {
    return this.change((sources) => {
      const index = sources.findIndex((entry) => entry.id === sourceId);
      if (index < 0) throw notFound('source_not_found', `No source "${sourceId}"`);
      if ('id' in changes && changes.id !== sourceId) throw invalid('source_id_fixed', 'A source keeps its id (its documents are filed under it): create a new one instead');
      if ('type' in changes && changes.type !== sources[index].type) throw invalid('source_type_fixed', 'A source keeps its type');
      const current = sources[index] as Record<string, unknown>;
      const merged = { ...current, ...changes, ...(changes.limits && typeof current.limits === 'object' ? { limits: { ...(current.limits as object), ...(changes.limits as object) } } : {}) };
      const source = sourceSpec.parse(merged);
      const next = [...sources];
      next[index] = source;
      return { sources: next, result: source };
    });
  }

  remove(sourceId: string): Promise<SourceSpec> {
    return this.change((sources) => {
      const source = sources.find((entry) => entry.id === sourceId);
      if (!source) throw notFound('source_not_found', `No source "${sourceId}"`);
      if (source.type === 'folder') throw conflict('folder_source', 'The knowledge folder cannot be removed as a source');
      return { sources: sources.filter((entry) => entry.id !== sourceId), result: source };
    });
  }

  private change<T>(apply: (sources: SourceSpec[]) => { sources: SourceSpec[]; result: T }): Promise<T> {
    const run = this.queue.then(async () => {
      const { sources, result } = apply(await this.list());
      // The implicit folder source is written only when it differs from the default (a schedule, a product line).
      const kept = sources.filter((source) => source.id !== FOLDER_SOURCE_ID || JSON.stringify(source) !== JSON.stringify(DEFAULT_FOLDER_SOURCE));
      const temporary = path.join(path.dirname(this.file), `.${path.basename(this.file)}.${process.pid}.tmp`);
      try {
        await mkdir(path.dirname(this.file), { recursive: true });
        await writeFile(temporary, `# Knowledge sources (docs/sources.md); edited by the admin API.\n${stringify({ sources: kept })}`);
        await rename(temporary, this.file);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EROFS' || code === 'EACCES') throw conflict('read_only_knowledge', 'The sources file is read-only here: edit it at its source');
        throw error;
      }
      return result;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}
