import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { hostname, setPriority } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/config.js';
import { conflict, notFound } from '../errors.js';
import type { Logger } from '../log.js';
import type { SharedState } from '../state/shared-state.js';
import type { LoadFailure } from './document.js';
import { acquireIngestLock, type IngestLock, lockSettings } from './lock.js';
import type { IngestPhase, ProgressEvent } from './progress.js';
import type { IngestSummary } from './run-ingestion.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export type JobKind = 'ingest' | 'upload' | 'delete' | 'sync';
/** `held`: written, not published, waiting for an admin (the regression gate); `discarded`: an admin threw the held version away. */
export type JobState = 'running' | 'succeeded' | 'partial' | 'failed' | 'held' | 'discarded';

/** What GET /v1/admin/jobs/:id shows: kept in the shared state, so any replica can answer about any job. */
export interface IngestJobRecord {
  id: string;
  kind: JobKind;
  state: JobState;
  /** What started it: "re-ingest", "upload uploads/manual.pdf", "delete faq-12". */
  reason: string;
  startedBy?: string;
  startedAt: string;
  finishedAt?: string;
  /** Which replica runs it (host and pid). */
  runner: string;
  phase: IngestPhase | 'starting';
  files: { done: number; total: number };
  chunks: { done: number; total: number; perSecond: number };
  /** Files that failed so far (reported and skipped; the rest ingests). */
  failures: LoadFailure[];
  /** The run's summary once it finished, with no server paths. */
  summary?: Omit<IngestSummary, 'failures'>;
  error?: string;
  /** A sync job: the sources it fetches before ingesting. */
  sources?: string[];
  /** What an admin decided about a held job. */
  decision?: { action: 'approved' | 'discarded'; by: string; at: string; version: number };
}

export interface JobsOptions {
  config: Config;
  state: SharedState;
  logger: Logger;
  /** Called when a job has started. */
  onStarted?: (job: IngestJobRecord) => void;
  /** Called when a job ends, with its final record and how long it ran. */
  onFinished?: (job: IngestJobRecord, seconds: number) => void | Promise<void>;
  /** How long job records are kept. */
  retentionSeconds?: number;
}

const LIST_KEY = 'ingest-jobs';

/**
 * Ingestion as background jobs. A job takes the table's ingestion lock (a lease: in Redis when configured),
 * then runs `ingest/ingest.ts` in a niced child process so parsing, embedding and calibration never hold
 * the serving event loop. The child reports progress as JSON lines; the job record in the shared state is
 * updated a few times per second. One job at a time per table: the lock says who runs.
 */
export class IngestJobs {
  private current?: { record: IngestJobRecord; child?: ChildProcess; lock: IngestLock; done: Promise<void> };
  private readonly retention: number;

  constructor(private readonly options: JobsOptions) {
    this.retention = options.retentionSeconds ?? 7 * 86_400;
  }

  /**
   * Starts a job: takes the lock (throws LockHeldError naming the running job), runs `prepare` under it
   * (write or delete the document a job is about), then starts the ingestion child and returns at once.
   */
  async start(kind: JobKind, details: { reason: string; startedBy?: string; prepare?: () => Promise<void>; sources?: string[] }): Promise<IngestJobRecord> {
    const { config } = this.options;
    const id = randomUUID();
    const lock = await acquireIngestLock({ ...lockSettings(config), jobId: id, purpose: 'ingestion' });
    try {
      await details.prepare?.();
    } catch (error) {
      await lock.release();
      throw error;
    }
    const record: IngestJobRecord = {
      id,
      kind,
      state: 'running',
      reason: details.reason,
      startedBy: details.startedBy,
      startedAt: new Date().toISOString(),
      runner: `${hostname()}:${process.pid}`,
      phase: 'starting',
      files: { done: 0, total: 0 },
      chunks: { done: 0, total: 0, perSecond: 0 },
      failures: [],
      ...(details.sources ? { sources: details.sources } : {}),
    };
    await this.save(record);
    await this.options.state.pushList(LIST_KEY, id, 200, this.retention);
    const current: NonNullable<typeof this.current> = { record, lock, done: Promise.resolve() };
    this.current = current;
    current.done = this.run(current).finally(() => {
      if (this.current === current) this.current = undefined;
    });
    this.options.onStarted?.(structuredClone(record));
    return structuredClone(record);
  }

  async get(id: string): Promise<IngestJobRecord | undefined> {
    if (this.current?.record.id === id) return structuredClone(this.current.record);
    return this.options.state.getJson<IngestJobRecord>(`ingest-job:${id}`);
  }

  /** The most recent jobs first. */
  async list(limit = 50): Promise<IngestJobRecord[]> {
    const ids = (await this.options.state.readList<string>(LIST_KEY)).slice(-limit).reverse();
    const records = await Promise.all(ids.map((id) => this.get(id)));
    return records.filter((record): record is IngestJobRecord => Boolean(record));
  }

  /**
   * An admin's decision on a held job, under the table's lock (it moves what serves, like an ingestion): `apply`
   * publishes or discards the held version and returns the version that serves after it. Throws when the job is
   * not held (already decided, or never held).
   */
  async decide(id: string, action: 'approved' | 'discarded', by: string, apply: (record: IngestJobRecord) => Promise<number>): Promise<IngestJobRecord> {
    this.requireHeld(id, await this.get(id));
    const lock = await acquireIngestLock({ ...lockSettings(this.options.config), purpose: action === 'approved' ? 'approval' : 'discard' });
    try {
      // Read again under the lock: another admin (on any replica) may have decided it since the read above, and a
      // discard applied after an approval would record "discarded" while the approved version serves.
      const record = this.requireHeld(id, await this.get(id));
      const version = await apply(record);
      record.state = action === 'approved' ? (record.failures.length ? 'partial' : 'succeeded') : 'discarded';
      record.decision = { action, by, at: new Date().toISOString(), version };
      await this.save(record);
      return structuredClone(record);
    } finally {
      await lock.release();
    }
  }

  private requireHeld(id: string, record: IngestJobRecord | undefined): IngestJobRecord {
    if (!record) throw notFound('job_not_found', 'No ingestion job with this id (job records are kept for INGEST_JOB_RETENTION_DAYS)');
    if (record.state !== 'held') throw conflict('job_not_held', `Job ${id} is ${record.state}${record.decision ? ` (${record.decision.action} by ${record.decision.by})` : ''}: only a held job can be approved or discarded`);
    return record;
  }

  /** Whether this replica runs a job now (for the "ingestion running" gauge and shutdown). */
  get running(): IngestJobRecord | undefined {
    return this.current?.record;
  }

  /** Waits for this replica's job, if any, to end. */
  async settled(): Promise<void> {
    await this.current?.done;
  }

  /** Shutdown: stops this replica's running job (its last commit, if any, stays) and releases the lock. */
  async stop(): Promise<void> {
    const current = this.current;
    if (!current) return;
    current.child?.kill('SIGTERM');
    await current.done;
  }

  private async save(record: IngestJobRecord): Promise<void> {
    await this.options.state.setJson(`ingest-job:${record.id}`, record, this.retention);
  }

  private async run(current: NonNullable<typeof this.current>): Promise<void> {
    const { record } = current;
    const started = performance.now();
    let lastSaved = 0;
    const saveSoon = () => {
      if (performance.now() - lastSaved < 500) return;
      lastSaved = performance.now();
      void this.save(record).catch(() => undefined);
    };
    try {
      const summary = await this.spawnChild(current, (event) => {
        if (event.phase) record.phase = event.phase;
        if (event.files) record.files = event.files;
        if (event.chunks) record.chunks = event.chunks;
        if (event.failure) record.failures.push(event.failure);
        saveSoon();
      });
      const { failures, ...rest } = summary;
      record.failures = failures;
      // Server paths are not the caller's business: name the knowledge folder and table, not where they live.
      record.summary = { ...rest, source: path.basename(summary.source), db: path.basename(summary.db) };
      record.state = summary.gate?.held ? 'held' : failures.length ? 'partial' : 'succeeded';
    } catch (error) {
      record.state = 'failed';
      record.error = (error as Error).message;
      this.options.logger.error({ job: record.id, error: record.error }, 'ingestion job failed');
    } finally {
      await current.lock.release().catch(() => undefined);
    }
    record.phase = 'done';
    record.finishedAt = new Date().toISOString();
    await this.save(record).catch((error) => this.options.logger.warn({ job: record.id, error: (error as Error).message }, 'could not save the final job record'));
    await this.options.onFinished?.(structuredClone(record), (performance.now() - started) / 1000);
  }

  /**
   * The ingestion child: `ingest/ingest.ts --json --progress-json --lock-held`, with the service's settings
   * as its environment. Exit 1 (some files failed, the rest committed) is a result, not a failure. The
   * child stops when its stdin closes, so it cannot outlive a service that died without killing it.
   */
  private spawnChild(current: NonNullable<typeof this.current>, onProgress: (event: ProgressEvent) => void): Promise<IngestSummary> {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const [key, value] of Object.entries(this.options.config)) if (value !== undefined) env[key] = typeof value === 'object' ? JSON.stringify(value) : String(value);
    // Compiled (the production image): the JavaScript beside this file's tree. From source: tsx as a loader
    // in the same process (not its CLI, which forks again), so the pid we nice and signal is the run's.
    const args = import.meta.url.endsWith('.js') ? [path.join(root, 'ingest/ingest.js')] : ['--import', 'tsx', path.join(root, 'ingest/ingest.ts')];
    return new Promise((resolve, reject) => {
      const sync = current.record.sources ? ['--sync', current.record.sources.join(',')] : [];
      const child = spawn(process.execPath, [...args, '--json', '--progress-json', '--lock-held', ...sync], { cwd: process.cwd(), env, stdio: ['pipe', 'pipe', 'pipe'] });
      current.child = child;
      // Below the server's priority: on a small machine the answers come first, the ingestion takes longer.
      if (child.pid) {
        try {
          setPriority(child.pid, 10);
        } catch {
          // not permitted here: run at normal priority
        }
      }
      let stdout = '';
      let stderrTail = '';
      let pending = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      child.stderr.on('data', (chunk: Buffer) => {
        pending += chunk.toString();
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          if (line.startsWith('{"progress"')) {
            try {
              onProgress((JSON.parse(line) as { progress: ProgressEvent }).progress);
              continue;
            } catch {
              // not a progress line after all
            }
          }
          stderrTail = `${stderrTail}\n${line}`.slice(-4000);
        }
      });
      child.stdin.on('error', () => undefined);
      child.on('error', reject);
      child.on('close', (code, signal) => {
        if (code === 0 || code === 1) {
          try {
            resolve(JSON.parse(stdout) as IngestSummary);
          } catch (error) {
            reject(new Error(`ingestion printed no summary: ${stderrTail.trim().split('\n').at(-1) ?? ''}`, { cause: error }));
          }
          return;
        }
        const message = stderrTail.trim().split('\n').filter((line) => line.startsWith('ingest:')).at(-1)?.replace(/^ingest: /, '') ?? (signal ? `ingestion stopped by ${signal}` : `ingestion exited with code ${code}`);
        reject(new Error(message));
      });
    });
  }
}
