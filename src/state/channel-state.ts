import { openRedis, type RedisConnection } from './redis-connection.js';

/**
 * What the messaging channels need from shared state beyond SharedState's primitives: a set-if-absent
 * claim (who answers a platform message, who delivers it, who refreshes an access token) and an owner-checked
 * release. On Redis these are atomic across replicas; in memory they serve a single process.
 */
export interface ChannelState {
  /** Sets `key` to `value` only if it is absent (SET NX EX); true when this caller set it. */
  claim(key: string, value: string, ttlSeconds: number): Promise<boolean>;
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  /** Deletes `key` only while it still holds `value` (a lock released by its owner, not by a later holder). */
  release(key: string, value: string): Promise<boolean>;
  close(): Promise<void>;
}

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export class RedisChannelState implements ChannelState {
  private readonly redis: RedisConnection;

  constructor(
    url: string,
    private readonly prefix: string,
    onError?: (error: Error) => void,
  ) {
    // The records profile (a few retries), not the state client's fail-fast one: a dropped claim would answer a
    // platform retry twice.
    this.redis = openRedis(url, 'records', { onError });
  }

  async claim(key: string, value: string, ttlSeconds: number) {
    return (await this.redis.set(this.prefix + key, value, 'EX', Math.max(1, Math.ceil(ttlSeconds)), 'NX')) === 'OK';
  }

  async get(key: string) {
    return (await this.redis.get(this.prefix + key)) ?? undefined;
  }

  async set(key: string, value: string, ttlSeconds: number) {
    await this.redis.set(this.prefix + key, value, 'EX', Math.max(1, Math.ceil(ttlSeconds)));
  }

  async release(key: string, value: string) {
    return (await this.redis.eval(RELEASE, 1, this.prefix + key, value)) === 1;
  }

  async close() {
    this.redis.disconnect();
  }
}

export class MemoryChannelState implements ChannelState {
  private readonly values = new Map<string, { value: string; expiresAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  private live(key: string) {
    const item = this.values.get(key);
    if (item && item.expiresAt <= this.now()) {
      this.values.delete(key);
      return undefined;
    }
    return item;
  }

  async claim(key: string, value: string, ttlSeconds: number) {
    if (this.live(key)) return false;
    this.values.set(key, { value, expiresAt: this.now() + ttlSeconds * 1000 });
    return true;
  }

  async get(key: string) {
    return this.live(key)?.value;
  }

  async set(key: string, value: string, ttlSeconds: number) {
    if (this.values.size > 100_000) for (const name of [...this.values.keys()]) this.live(name);
    this.values.set(key, { value, expiresAt: this.now() + ttlSeconds * 1000 });
  }

  async release(key: string, value: string) {
    if (this.live(key)?.value !== value) return false;
    this.values.delete(key);
    return true;
  }

  async close() {}
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
