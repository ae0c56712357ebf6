import type { Config } from '../../config/config.js';
import type { SourceDocument } from '../document.js';
import type { ProgressReporter } from '../progress.js';
import { crawlWebsite, emptyReport, type SourceSyncError } from './crawl-website.js';
import { importZendesk } from './zendesk.js';
import { importFreshdesk } from './freshdesk.js';
import { parseFetchAllow } from './safe-fetch.js';
import { SnapshotStore, type SourceSyncReport, staleExtraction } from './snapshot.js';
import { loadSources, type SourceSpec, sourcePathPrefix } from './source-config.js';
import { normalizeAudiences } from '../../store/audiences.js';

/**
 * Syncs the named sources (network): each website or help centre is fetched against its previous snapshot,
 * and a successful sync replaces that snapshot. A failed one leaves it (and so the knowledge) as it was and
 * says why in its report. The folder source needs no sync: every ingestion reads the folder.
 */
export async function syncSources(config: Config, ids: string[] | 'all', progress?: ProgressReporter): Promise<SourceSyncReport[]> {
  const sources = await loadSources(config.SOURCES_FILE);
  const chosen = ids === 'all' ? sources.filter((source) => source.enabled) : ids.map((id) => sources.find((source) => source.id === id) ?? id);
  const snapshots = new SnapshotStore(config.SOURCES_CACHE_DIR);
  const policy = parseFetchAllow(config.SOURCE_FETCH_ALLOW);
  const reports: SourceSyncReport[] = [];
  for (const source of chosen) {
    if (typeof source === 'string') {
      reports.push({ ...emptyReport(source, 'website'), error: `no source "${source}" in ${config.SOURCES_FILE}` });
      continue;
    }
    if (source.type === 'folder') continue;
    const previous = staleExtraction(await snapshots.read(source.id));
    const context = { policy, userAgent: config.SOURCE_USER_AGENT, onPage: (done: number, known: number) => progress?.files?.(done, known) };
    try {
      const { snapshot, report } =
        source.type === 'website'
          ? await crawlWebsite(source, previous, context)
          : source.type === 'freshdesk'
            ? await importFreshdesk(source, previous, { ...context, apiKey: config.SOURCE_API_KEYS[source.id] })
            : await importZendesk(source, previous, context);
      await snapshots.write(snapshot);
      reports.push(report);
    } catch (error) {
      const report = (error as SourceSyncError & { report?: SourceSyncReport }).report ?? emptyReport(source.id, source.type);
      reports.push({ ...report, state: 'failed', error: (error as Error).message });
    }
  }
  return reports;
}

export interface SourceDocuments {
  documents: SourceDocument[];
  /** `source_path` prefixes whose stored documents stay although absent from this run (no snapshot here, a disabled source). */
  protectedPrefixes: string[];
  warnings: string[];
}

/** The documents of every non-folder source, from their snapshots (no network): what each ingestion adds to the folder's. */
export async function loadSourceDocuments(config: Pick<Config, 'SOURCES_FILE' | 'SOURCES_CACHE_DIR'>, sources?: SourceSpec[]): Promise<SourceDocuments> {
  const list = sources ?? (await loadSources(config.SOURCES_FILE));
  const snapshots = new SnapshotStore(config.SOURCES_CACHE_DIR);
  const result: SourceDocuments = { documents: [], protectedPrefixes: [], warnings: [] };
  for (const source of list) {
    if (source.type === 'folder') continue;
    const snapshot = source.enabled ? await snapshots.read(source.id) : undefined;
    if (!snapshot) {
      // Not synced on this host yet (or switched off): whatever the table holds from it stays.
      result.protectedPrefixes.push(sourcePathPrefix(source.id));
      if (source.enabled) result.warnings.push(`source ${source.id}: not synced here yet, its stored documents are kept`);
      continue;
    }
    for (const page of Object.values(snapshot.pages)) {
      // A source limited to audiences (sources.yaml `audiences`) limits every page; a page cannot widen it.
      result.documents.push({ ...page.document, productLine: source.productLine ?? page.document.productLine, audiences: normalizeAudiences(source.audiences) });
    }
  }
  return result;
}
