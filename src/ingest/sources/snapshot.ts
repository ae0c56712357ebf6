import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { SourceDocument } from '../document.js';

/**
 * Bumped when page extraction changes what a document holds (2: tables, images, heading anchors). A snapshot from
 * an older extractor holds documents the current code would extract differently, and pages that have not changed
 * would never be fetched again to fix them: its next sync asks every page unconditionally (staleExtraction).
 */
export const EXTRACTOR_VERSION = 2;

/**
 * The previous snapshot as a sync should use it: as it is when its extractor is current; otherwise without its
 * validators (ETag, Last-Modified, lastmod, the help centre's cursor), so every page is fetched and extracted again
 * once, while its documents still stand in for pages that fail.
 */
export function staleExtraction(snapshot: SourceSnapshot | undefined): SourceSnapshot | undefined {
  if (!snapshot || snapshot.extractor === EXTRACTOR_VERSION) return snapshot;
  const pages = Object.fromEntries(Object.entries(snapshot.pages).map(([url, { etag: _etag, lastModified: _lastModified, lastmod: _lastmod, ...page }]) => [url, page]));
  const aliases = snapshot.aliases && Object.fromEntries(Object.entries(snapshot.aliases).map(([url, alias]) => [url, { canonical: alias.canonical }]));
  const { cursor: _cursor, ...rest } = snapshot;
  return { ...rest, pages, ...(aliases ? { aliases } : {}) };
}

/** One page (or article) as the last successful sync left it: its validators, links, and the extracted document. */
export interface SnapshotPage {
  /** Canonical URL: the document's id and citation URL. */
  url: string;
  /** The address it was fetched from (after redirects). */
  fetchedUrl: string;
  etag?: string;
  lastModified?: string;
  /** The sitemap's lastmod (or the API's updated_at) when it was fetched. */
  lastmod?: string;
  contentHash: string;
  links: string[];
  document: SourceDocument;
}

/**
 * What a source's last successful sync saw. Every ingestion loads the documents from here (no network), so a
 * re-ingest of the folder keeps the websites' pages; a sync replaces it only when it succeeded as a whole.
 */
export interface SourceSnapshot {
  sourceId: string;
  /** EXTRACTOR_VERSION of the code that extracted its documents; absent before tables and images were kept. */
  extractor?: number;
  type: 'website' | 'zendesk' | 'freshdesk';
  syncedAt: string;
  pages: Record<string, SnapshotPage>;
  /** Other addresses of the same pages (a print view, a tracking query) with their validators: a re-sync asks them conditionally too. */
  aliases?: Record<string, { canonical: string; etag?: string; lastModified?: string }>;
  /** Help centres: the newest updated_at seen, for the next incremental export. */
  cursor?: string;
}

/** One source's part of a sync job (in the job's summary and the source's status). */
export interface SourceSyncReport {
  id: string;
  type: 'website' | 'zendesk' | 'freshdesk' | 'folder';
  state: 'succeeded' | 'partial' | 'failed';
  error?: string;
  /** Pages (articles) the source holds after the sync. */
  pages: number;
  /** Downloaded in full (200). */
  pagesFetched: number;
  /** 304 Not Modified. */
  pagesNotModified: number;
  /** Not requested: the sitemap's lastmod (or updated_at) had not moved. */
  pagesSkipped: number;
  pagesAdded: number;
  pagesChanged: number;
  pagesRemoved: number;
  pagesFailed: number;
  /** Pages whose canonical URL another page already had. */
  duplicates: number;
  requests: number;
  /** Bytes received on the wire. */
  bytes: number;
  seconds: number;
  failures: { url: string; reason: string }[];
  warnings: string[];
}

export class SnapshotStore {
  constructor(private readonly dir: string) {}

  private file(sourceId: string): string {
    return path.join(this.dir, `${sourceId}.json`);
  }

  async read(sourceId: string): Promise<SourceSnapshot | undefined> {
    try {
      const parsed = JSON.parse(await readFile(this.file(sourceId), 'utf8')) as SourceSnapshot;
      return parsed && parsed.sourceId === sourceId && typeof parsed.pages === 'object' ? parsed : undefined;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      // A torn or foreign file: as if never synced here (its stored documents are kept, the next sync rebuilds it).
      return undefined;
    }
  }

  /** Written to a temporary file and renamed into place: a crash leaves the old snapshot or the new one. */
  async write(snapshot: SourceSnapshot): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const temporary = `${this.file(snapshot.sourceId)}.${process.pid}.tmp`;
    await writeFile(temporary, JSON.stringify({ ...snapshot, extractor: EXTRACTOR_VERSION }));
    await rename(temporary, this.file(snapshot.sourceId));
  }

  async remove(sourceId: string): Promise<void> {
    await rm(this.file(sourceId), { force: true });
  }
}
