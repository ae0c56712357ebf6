import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { DomainError } from '../errors.js';
import { type LeaseBackend, RedisLease } from '../state/redis-lease.js';

export interface LockOwner {
  token: string;
  pid: number;
  host: string;
  startedAt: string;
  /** The ingestion job holding the lock, when a service started it. */
  jobId?: string;
  /** What the holder is doing: an ingestion or a rollback. */
  purpose: string;
}

/** Another ingestion or rollback of the table holds its lock: a conflict that names the running job. */
export class LockHeldError extends DomainError {
  override name = 'LockHeldError';
  constructor(
    message: string,
    readonly holder?: LockOwner,
  ) {
    super('conflict', 'ingestion_running', message, holder ? { runningJob: holder.jobId, purpose: holder.purpose, since: holder.startedAt } : undefined);
  }
}

export interface IngestLock {
  readonly owner: LockOwner;
  release(): Promise<void>;
}

export interface LockOptions {
  dbDir: string;
  tableName: string;
  /** With Redis the lease lives there (every host sees it); without, in a file beside the table. */
  redisUrl?: string;
  redisPrefix?: string;
  /** How long the lease lasts without a renewal; the holder renews it every third of that. */
  ttlSeconds?: number;
  jobId?: string;
  purpose?: string;
}

/** The knowledge table's lock as the settings describe it (DB_DIR/TABLE_NAME, Redis when configured). */
export function lockSettings(config: { DB_DIR: string; TABLE_NAME: string; REDIS_URL?: string; REDIS_KEY_PREFIX: string; INGEST_LOCK_TTL_SECONDS: number }): LockOptions {
  return { dbDir: config.DB_DIR, tableName: config.TABLE_NAME, redisUrl: config.REDIS_URL, redisPrefix: config.REDIS_KEY_PREFIX, ttlSeconds: config.INGEST_LOCK_TTL_SECONDS };
}

/**
 * The ingestion lock of one table: a lease with an expiry that its holder renews while it runs. A holder
 * that dies (a killed replica, a container on another host sharing the volume) stops renewing, and its
 * lease expires wherever it ran, so ingestion can never be blocked for good. Ingestion runs and rollbacks
 * both take it: neither may interleave its commits with the other's.
 */
export async function acquireIngestLock(options: LockOptions): Promise<IngestLock> {
  const ttlMs = (options.ttlSeconds ?? 30) * 1000;
  const owner: LockOwner = { token: randomUUID(), pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), jobId: options.jobId, purpose: options.purpose ?? 'ingestion' };
  if (!options.redisUrl && /^[a-z][a-z0-9+.-]*:\/\//i.test(options.dbDir)) {
    throw new Error(`The knowledge table is on object storage (${options.dbDir.split('/').slice(0, 3).join('/')}…): its ingestion lock needs Redis (REDIS_URL).`);
  }
  const backend: LeaseBackend<LockOwner> = options.redisUrl
    ? await RedisLease.connect<LockOwner>(options.redisUrl, `${options.redisPrefix ?? 'kefu:'}lock:ingest:${options.tableName}`).catch((error: Error) => {
        throw new Error(`Cannot take the ingestion lock: Redis is not reachable (${error.message})`, { cause: error });
      })
    : new FileLease(path.join(options.dbDir, `.${options.tableName}.ingest.lock`));
  let holder: LockOwner | undefined;
  try {
    holder = await backend.tryAcquire(owner, ttlMs);
  } catch (error) {
    await backend.close();
    throw error;
  }
  if (holder) {
    await backend.close();
    const by = holder.jobId ? `job ${holder.jobId}` : `pid ${holder.pid} on ${holder.host}`;
    throw new LockHeldError(`Another ${holder.purpose} of table "${options.tableName}" is running (${by}, since ${holder.startedAt}). Wait for it to finish; its lease expires on its own if that process is gone.`, holder);
  }
  // Renewal failing (Redis briefly down) is not fatal: the lease only lapses after a whole TTL without one.
  const timer = setInterval(() => void backend.renew(owner.token, ttlMs).catch(() => undefined), Math.max(ttlMs / 3, 50));
  timer.unref();
  return {
    owner,
    release: async () => {
      clearInterval(timer);
      try {
        await backend.release(owner.token);
      } finally {
        await backend.close();
      }
    },
  };
}

interface LeaseFile extends LockOwner {
  expiresAt: number;
}

/** The lease in a file beside the table (one host, or hosts sharing the volume). */
class FileLease implements LeaseBackend<LockOwner> {
  constructor(private readonly file: string) {}

  async tryAcquire(owner: LockOwner, ttlMs: number): Promise<LockOwner | undefined> {
    await mkdir(path.dirname(this.file), { recursive: true });
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const handle = await open(this.file, 'wx');
        await handle.writeFile(JSON.stringify({ ...owner, expiresAt: Date.now() + ttlMs } satisfies LeaseFile));
        await handle.close();
        return undefined;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const current = await this.read();
      if (current && live(current)) return current;
      // Take the stale lease over by moving it aside (atomic): of two processes doing this at once, only
      // the one that moved the stale file (not a fresh one just written by the other) goes on.
      const aside = `${this.file}.${owner.token}.stale`;
      try {
        await rename(this.file, aside);
      } catch {
        continue;
      }
      const moved = await readJson<LeaseFile>(aside);
      if (moved && current && moved.token !== current.token && live(moved)) {
        await rename(aside, this.file).catch(() => undefined);
        return moved;
      }
      await rm(aside, { force: true });
    }
    return (await this.read()) ?? owner;
  }

  async renew(token: string, ttlMs: number): Promise<boolean> {
    const current = await this.read();
    if (current?.token !== token) return false;
    const temporary = `${this.file}.${token}.tmp`;
    await writeFile(temporary, JSON.stringify({ ...current, expiresAt: Date.now() + ttlMs }));
    await rename(temporary, this.file);
    return true;
  }

  async release(token: string): Promise<void> {
    if ((await this.read())?.token === token) await rm(this.file, { force: true });
  }

  async close(): Promise<void> {}

  private read(): Promise<LeaseFile | undefined> {
    return readJson<LeaseFile>(this.file);
  }
}

/** A lease is live until it expires; on this host, a holder whose process is gone frees it at once. */
function live(lease: Partial<LeaseFile>): boolean {
  if (typeof lease.expiresAt === 'number' && lease.expiresAt < Date.now()) return false;
  if (lease.host === hostname() && typeof lease.pid === 'number') {
    try {
      process.kill(lease.pid, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
  }
  // Another host's lock file from before leases (no expiry) could never be freed: treat it as stale.
  return typeof lease.expiresAt === 'number';
}

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}
