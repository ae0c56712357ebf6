import type { Logger } from '../log.js';
import { MemoryState, type SharedState } from './shared-state.js';

export interface StateHealthObserver {
  /** 1 while the primary store answers, 0 while degraded. */
  up(value: 0 | 1): void;
  error(operation: string): void;
}

/**
 * Wraps the Redis state so that an outage degrades the service instead of failing requests: every
 * operation that fails falls back to this process's own memory (sessions and cache become per-replica,
 * rate limits local), with one warning per outage and a metric. When Redis answers again, the next
 * operations use it again.
 */
export class ResilientState implements SharedState {
  private readonly fallback = new MemoryState();
  private degraded = false;

  constructor(
    private readonly primary: SharedState,
    private readonly logger: Logger,
    private readonly observer?: StateHealthObserver,
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

  getJson<T>(key: string) {
    return this.run('get', (state) => state.getJson<T>(key));
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
  appendLog(name: string, entry: Record<string, unknown>, maxLength: number) {
    return this.run('log_append', (state) => state.appendLog(name, entry, maxLength));
  }
  readLog(name: string, count: number) {
    return this.run('log_read', (state) => state.readLog(name, count));
  }
  ping() {
    return this.primary.ping();
  }
  close() {
    return this.primary.close();
  }
}
