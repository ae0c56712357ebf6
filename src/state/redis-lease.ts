import { openRedis, type RedisConnection } from './redis-connection.js';

/** Whoever holds a lease; the token says whose it is, the rest is the holder's to describe. */
export interface LeaseHolder {
  token: string;
}

/** A lease with an expiry: taken if free, renewed by its holder, released by its holder only. */
export interface LeaseBackend<Holder extends LeaseHolder> {
  /** Takes the lease for `holder`; resolves undefined when it did, or the current holder when someone else has it. */
  tryAcquire(holder: Holder, ttlMs: number): Promise<Holder | undefined>;
  renew(token: string, ttlMs: number): Promise<boolean>;
  release(token: string): Promise<void>;
  close(): Promise<void>;
}

// Renew and release only the holder's own lease: after an expiry someone else may hold the key.
const RENEW = `if redis.call('GET', KEYS[1]) and cjson.decode(redis.call('GET', KEYS[1])).token == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) and cjson.decode(redis.call('GET', KEYS[1])).token == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/** The lease in Redis: every replica and host sees it; Redis expires it when its holder stops renewing. */
export class RedisLease<Holder extends LeaseHolder> implements LeaseBackend<Holder> {
  private constructor(
    private readonly redis: RedisConnection,
    private readonly key: string,
  ) {}

  /** Connects (rejecting when Redis does not answer within seconds) to the lease stored at `key`. */
  static async connect<Holder extends LeaseHolder>(url: string, key: string): Promise<RedisLease<Holder>> {
    const redis = openRedis(url, 'lease');
    try {
      await redis.connect();
    } catch (error) {
      redis.disconnect();
      throw error;
    }
    return new RedisLease<Holder>(redis, key);
  }

  async tryAcquire(holder: Holder, ttlMs: number): Promise<Holder | undefined> {
    if ((await this.redis.set(this.key, JSON.stringify(holder), 'PX', ttlMs, 'NX')) === 'OK') return undefined;
    const held = await this.redis.get(this.key);
    // Expired between the two calls: try once more.
    if (held === null) return (await this.redis.set(this.key, JSON.stringify(holder), 'PX', ttlMs, 'NX')) === 'OK' ? undefined : holder;
    return JSON.parse(held) as Holder;
  }

  async renew(token: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.eval(RENEW, 1, this.key, token, String(ttlMs))) === 1;
  }

  async release(token: string): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.key, token);
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
