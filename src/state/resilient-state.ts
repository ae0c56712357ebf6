import { randomUUID } from 'node:crypto';
import type { Logger } from '../log.js';
import { MemoryState, type SharedState } from './shared-state.js';
import type { LogSpool } from './spool.js';

export interface StateHealthObserver {
  /** 1 while the primary store answers, 0 while degraded. */
  up(value: 0 | 1): void;
  error(operation: string): void;
}

/**
 * Wraps the Redis state so that an outage degrades the service instead of failing requests: every
 * operation that fails falls back to this process's own memory (sessions and cache become per-replica,
 * rate limits local), with one warning per outage and a metric. When Redis answers again, the next
 * operations use it again. Log entries (feedback, unanswered questions) written during an outage go to a
 * durable local spool as well, and are replayed to Redis, exactly once, when it is back.
 */
export class ResilientState implements SharedState {
  private readonly fallback = new MemoryState();
  private degraded = false;

  constructor(
    private readonly primary: SharedState,
    private readonly logger: Logger,
    private readonly observer?: StateHealthObserver,
    private readonly spool?: LogSpool,
  ) {
    observer?.up(1);
  }

  get kind() {
    return this.primary.kind;
  }

  get isDegraded(): boolean {
    return this.degraded;
  }

  private async run<T>(operation: string, call: (state: SharedState) => Promise<T>): Promise<T> {
    try {
      const result = await call(this.primary);
      if (this.degraded) {
        this.degraded = false;
        this.observer?.up(1);
        this.logger.warn({ state: this.primary.kind }, 'shared state is back; replicas share sessions, cache and rate limits again');
        void this.replaySpool();
      }
      return result;
    } catch (error) {
      this.observer?.error(operation);
      if (!this.degraded) {
        this.degraded = true;
        this.observer?.up(0);
        this.logger.warn({ err: error, state: this.primary.kind, operation }, 'shared state unavailable; degrading to this process’s memory');
      }
      return call(this.fallback);
    }
  }

  /**
   * Values written during an outage live in this process's memory; after recovery Redis does not have
   * them (an answer given while Redis was frozen, then rated). Fall back to them on a miss.
   */
  async getJson<T>(key: string) {
    const value = await this.run('get', (state) => state.getJson<T>(key));
    return value === undefined && !this.degraded ? this.fallback.getJson<T>(key) : value;
  }
  setJson(key: string, value: unknown, ttlSeconds: number) {
    return this.run('set', (state) => state.setJson(key, value, ttlSeconds));
  }
  delete(key: string) {
    return this.run('delete', (state) => state.delete(key));
  }
  pushList(key: string, value: unknown, maxLength: number, ttlSeconds: number) {
    return this.run('push', (state) => state.pushList(key, value, maxLength, ttlSeconds));
  }
  readList<T>(key: string) {
    return this.run('read', (state) => state.readList<T>(key));
  }
  takeToken(key: string, burst: number, perSecond: number) {
    return this.run('rate_limit', (state) => state.takeToken(key, burst, perSecond));
  }
  async appendLog(name: string, entry: Record<string, unknown>, maxLength: number) {
    if (!this.spool) return this.run('log_append', (state) => state.appendLog(name, entry, maxLength));
    // One id for the entry whatever path it takes: a command that timed out may still run in Redis (a frozen
    // server catches up), and the spool replays it later; append-once makes the second a no-op.
    const onceId = randomUUID();
    try {
      return await this.run('log_append', async (state) => {
        if (state === this.fallback) throw new SpoolInstead();
        return (await state.appendLogOnce(name, entry, maxLength, onceId)) ?? `once-${onceId}`;
      });
    } catch (error) {
      if (!(error instanceof SpoolInstead)) throw error;
      // Redis is down: keep the entry on disk (and readable here) until it can be replayed.
      await this.fallback.appendLog(name, entry, maxLength);
      return this.spool.add(name, entry, maxLength, onceId);
    }
  }
  appendLogOnce(name: string, entry: Record<string, unknown>, maxLength: number, onceId: string) {
    return this.run('log_append', (state) => state.appendLogOnce(name, entry, maxLength, onceId));
  }

  /** Replays spooled log entries to the primary store; safe to call at any time (also at start-up). */
  async replaySpool(): Promise<number> {
    if (!this.spool) return 0;
    try {
      const count = await this.spool.replay(this.primary);
      if (count) this.logger.info({ count }, 'replayed log entries spooled during the shared-state outage');
      return count;
    } catch (error) {
      this.logger.warn({ err: error }, 'spool replay failed; it will be retried when shared state answers again');
      return 0;
    }
  }
  readLog(name: string, count: number) {
    return this.run('log_read', (state) => state.readLog(name, count));
  }
  findLogEntry(name: string, match: Record<string, string>, count: number) {
    return this.run('log_read', (state) => state.findLogEntry(name, match, count));
  }
  deletePrefix(prefix: string) {
    return this.run('delete', async (state) => (await state.deletePrefix?.(prefix)) ?? 0);
  }
  ping() {
    return this.primary.ping();
  }
  close() {
    return this.primary.close();
  }
}

/** Internal signal: the primary failed and a log entry should be spooled, not kept in memory only. */
class SpoolInstead extends Error {}
