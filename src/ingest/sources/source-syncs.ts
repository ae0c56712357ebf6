import type { Logger } from '../../log.js';
import type { SharedState } from '../../state/shared-state.js';
import type { IngestJobRecord, IngestJobs } from '../jobs.js';
import type { SourceSyncReport } from './snapshot.js';
import { FOLDER_SOURCE_ID, scheduleMs, type SourceRegistry, type SourceSpec } from './source-config.js';

/** A source's sync history, kept in the shared state so every replica (and the admin page) sees it. */
export interface SourceStatus {
  lastSyncStartedAt?: string;
  lastSyncFinishedAt?: string;
  lastJob?: string;
  lastState?: IngestJobRecord['state'];
  lastError?: string;
  /** The last finished sync's report (pages, changes, failures, bytes). */
  lastReport?: SourceSyncReport;
  /** The last sync that succeeded (wholly or partly): what the knowledge holds from this source. */
  lastSuccess?: { finishedAt?: string; job: string; report: SourceSyncReport };
}

const STATUS_TTL_SECONDS = 400 * 86_400;
const statusKey = (sourceId: string) => `source-status:${sourceId}`;

class NotDueError extends Error {
  override name = 'NotDueError';
}

/**
 * Syncs as ordinary ingestion jobs: "sync now" from the admin API, and each source's schedule. Every replica
 * ticks, but a scheduled sync starts once: the job takes the table's ingestion lease (in Redis with several
 * replicas), and under it re-reads when the source last started, so a replica that waited for the lease finds
 * the source no longer due.
 */
export class SourceSyncs {
  private timer?: NodeJS.Timeout;
  private ticking = false;

  constructor(
    private readonly options: {
      registry: SourceRegistry;
      jobs: Pick<IngestJobs, 'start'>;
      state: SharedState;
      logger: Logger;
      now?: () => number;
    },
  ) {}

  status(sourceId: string): Promise<SourceStatus | undefined> {
    return this.options.state.getJson<SourceStatus>(statusKey(sourceId));
  }

  /** Starts a sync job for these sources (throws LockHeldError while another run holds the lease). */
  async syncNow(
    sources: SourceSpec[],
    startedBy: string,
    reason = `sync ${sources.map((source) => source.id).join(', ')}`,
    due?: (source: SourceSpec, status: SourceStatus | undefined) => boolean,
  ): Promise<IngestJobRecord> {
    const external = sources.filter((source) => source.type !== 'folder').map((source) => source.id);
    return this.options.jobs.start(external.length ? 'sync' : 'ingest', {
      reason,
      startedBy,
      ...(external.length ? { sources: external } : {}),
      prepare: async () => {
        const now = new Date(this.now()).toISOString();
        for (const source of sources) {
          const status = await this.status(source.id);
          if (due && !due(source, status)) throw new NotDueError(`${source.id} is not due`);
          await this.options.state.setJson(statusKey(source.id), { ...status, lastSyncStartedAt: now }, STATUS_TTL_SECONDS);
        }
      },
    });
  }

  /** A job ended: each source it synced records its outcome (the job hook of the service). */
  async recordFinished(job: IngestJobRecord): Promise<void> {
    const reports = job.summary?.sources ?? [];
    const ids = job.kind === 'sync' ? (job.sources ?? []) : [];
    for (const id of ids) {
      const report = reports.find((entry) => entry.id === id);
      const status = (await this.status(id)) ?? {};
      await this.options.state.setJson(
        statusKey(id),
        {
          ...status,
          lastSyncFinishedAt: job.finishedAt,
          lastJob: job.id,
          lastState: report ? report.state : job.state,
          lastError: report?.error ?? (job.state === 'failed' ? job.error : undefined),
          lastReport: report,
          lastSuccess: report && report.state !== 'failed' && job.state !== 'failed' ? { finishedAt: job.finishedAt, job: job.id, report } : status.lastSuccess,
        } satisfies SourceStatus,
        STATUS_TTL_SECONDS,
      );
    }
    if (job.kind === 'ingest' && job.startedBy === 'scheduler') {
      await this.options.state.setJson(
        statusKey(FOLDER_SOURCE_ID),
        { ...(await this.status(FOLDER_SOURCE_ID)), lastSyncFinishedAt: job.finishedAt, lastJob: job.id, lastState: job.state, lastError: job.error },
        STATUS_TTL_SECONDS,
      );
    }
  }

  /** Checks the schedules every `seconds` (0: never on this replica). */
  start(seconds: number): this {
    if (seconds > 0) {
      this.timer = setInterval(() => void this.tick(), seconds * 1000);
      this.timer.unref();
    }
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One look at the schedules: starts the first due source's sync (one job at a time per table anyway). */
  async tick(): Promise<IngestJobRecord | undefined> {
    if (this.ticking) return undefined;
    this.ticking = true;
    try {
      const due = (source: SourceSpec, status: SourceStatus | undefined) => {
        const every = scheduleMs(source);
        if (!every || !source.enabled) return false;
        const last = status?.lastSyncStartedAt ? Date.parse(status.lastSyncStartedAt) : 0;
        return this.now() - last >= every;
      };
      for (const source of await this.options.registry.list()) {
        if (!due(source, await this.status(source.id))) continue;
        try {
          return await this.syncNow([source], 'scheduler', `scheduled sync of ${source.id} (${source.schedule})`, due);
        } catch (error) {
          const name = (error as Error).name;
          // Another replica runs a job now, or started this one first: the next tick looks again.
          if (name === 'LockHeldError' || name === 'NotDueError') return undefined;
          this.options.logger.warn({ source: source.id, error: (error as Error).message }, 'scheduled source sync could not start');
        }
      }
      return undefined;
    } catch (error) {
      this.options.logger.warn({ error: (error as Error).message }, 'source schedules could not be read');
      return undefined;
    } finally {
      this.ticking = false;
    }
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}
