import { entryMatches, idTime, type LogRetention, retentionSeconds } from './log-retention.js';
import { openRedis, type RedisConnection } from './redis-connection.js';
import type { SharedState } from './shared-state.js';

// Token bucket in one round trip, atomic across replicas. Time comes from Redis, so replicas with
// skewed clocks still share one bucket fairly.
const TAKE_TOKEN = `
local key = KEYS[1]
local burst = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', key, 'tokens', 'ts')
local tokens = tonumber(state[1]) or burst
local ts = tonumber(state[2]) or now
tokens = math.min(burst, tokens + (now - ts) * rate)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', key, 'tokens', tokens, 'ts', now)
redis.call('EXPIRE', key, math.ceil(burst / rate) + 1)
return { allowed, tostring(tokens) }
`;

/** Entries read per round trip when a log is searched for one record. */
const LOG_PAGE = 200;

// Append to a stream unless this id was appended before, in one atomic step: a replay that dies halfway
// and runs again adds each entry exactly once. The marker outlives any plausible outage (30 days).
const APPEND_ONCE = `
if redis.call('SET', KEYS[2], '1', 'NX', 'EX', 2592000) then
  local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'json', ARGV[2])
  redis.call('XTRIM', KEYS[1], 'MINID', '~', ARGV[3])
  redis.call('EXPIRE', KEYS[1], ARGV[4])
  return id
end
return false
`;


/**
 * The MINID below which a log's entries are past its retention. Never negative: a retention longer than the time since
 * 1970 (the key and workspace logs keep theirs for 100 years) would be an invalid stream id, failing the append.
 */
const trimBefore = (ttlSeconds: number) => String(Math.max(0, Date.now() - ttlSeconds * 1000));

export class RedisState implements SharedState {
  readonly kind = 'redis' as const;

  constructor(
    private readonly redis: RedisConnection,
    private readonly prefix = 'kefu:',
    private readonly logRetention?: LogRetention,
  ) {
    redis.defineCommand('kefuTakeToken', { numberOfKeys: 1, lua: TAKE_TOKEN });
    redis.defineCommand('kefuAppendOnce', { numberOfKeys: 2, lua: APPEND_ONCE });
  }

  /**
   * On a fail-fast connection (the `state` profile of openRedis), so the resilient wrapper can answer from local
   * state instead of letting requests hang. Connection errors are reported by the wrapper's metrics.
   */
  static connect(url: string, options: { commandTimeoutMs?: number; prefix?: string; logRetention?: LogRetention } = {}): RedisState {
    return new RedisState(openRedis(url, 'state', { commandTimeoutMs: options.commandTimeoutMs }), options.prefix, options.logRetention);
  }

  /**
   * Waits (bounded) for the first connection. Without the offline queue, commands sent before it fail at
   * once, so a service taking requests right after start would answer them from process memory: fresh
   * rate-limit buckets, missing sessions. Resolves false when Redis does not answer in time.
   */
  ready(timeoutMs: number): Promise<boolean> {
    if (this.redis.status === 'ready') return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.redis.off('ready', onReady);
        resolve(false);
      }, timeoutMs);
      const onReady = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.redis.once('ready', onReady);
    });
  }

  private key(key: string) {
    return this.prefix + key;
  }

  async getJson<T>(key: string) {
    const value = await this.redis.get(this.key(key));
    return value === null ? undefined : (JSON.parse(value) as T);
  }

  async setJson(key: string, value: unknown, ttlSeconds: number) {
    await this.redis.set(this.key(key), JSON.stringify(value), 'EX', Math.max(1, Math.ceil(ttlSeconds)));
  }

  async delete(key: string) {
    await this.redis.del(this.key(key));
  }

  async pushList(key: string, value: unknown, maxLength: number, ttlSeconds: number) {
    await this.redis
      .multi()
      .rpush(this.key(key), JSON.stringify(value))
      .ltrim(this.key(key), -maxLength, -1)
      .expire(this.key(key), Math.max(1, Math.ceil(ttlSeconds)))
      .exec();
  }

  async readList<T>(key: string) {
    return (await this.redis.lrange(this.key(key), 0, -1)).map((item) => JSON.parse(item) as T);
  }

  async takeToken(key: string, burst: number, perSecond: number) {
    const [allowed, tokens] = (await (this.redis as unknown as { kefuTakeToken: (...args: unknown[]) => Promise<[number, string]> }).kefuTakeToken(this.key(`rl:${key}`), burst, perSecond)) as [number, string];
    const left = Number(tokens);
    return { allowed: allowed === 1, remaining: Math.floor(left), retryAfterSeconds: allowed === 1 ? 0 : Math.ceil((1 - left) / perSecond) };
  }

  /** Entries older than the log's retention are trimmed on every append, and the whole stream expires if nothing is appended for that long. */
  async appendLog(name: string, entry: Record<string, unknown>, maxLength: number) {
    const ttl = Math.ceil(retentionSeconds(this.logRetention, name));
    const results = await this.redis
      .multi()
      .xadd(this.key(name), 'MAXLEN', '~', String(maxLength), '*', 'json', JSON.stringify(entry))
      .xtrim(this.key(name), 'MINID', '~', trimBefore(ttl))
      .expire(this.key(name), ttl)
      .exec();
    const [error, id] = results?.[0] ?? [new Error('no reply')];
    if (error) throw error;
    return (id as string | null) ?? '';
  }

  async appendLogOnce(name: string, entry: Record<string, unknown>, maxLength: number, onceId: string) {
    const ttl = Math.ceil(retentionSeconds(this.logRetention, name));
    const append = (this.redis as unknown as { kefuAppendOnce: (...args: string[]) => Promise<string | null> }).kefuAppendOnce;
    const id = await append.call(this.redis, this.key(name), this.key(`log-once:${onceId}`), String(maxLength), JSON.stringify(entry), trimBefore(ttl), String(ttl));
    return id ?? undefined;
  }

  async readLog(name: string, count: number) {
    // Trimming by MINID is approximate (whole stream nodes): hide what is past retention anyway.
    const oldest = Date.now() - retentionSeconds(this.logRetention, name) * 1000;
    const entries = await this.redis.xrevrange(this.key(name), '+', '-', 'COUNT', count);
    return entries
      .reverse()
      .filter(([id]) => idTime(id) >= oldest)
      .map(([id, fields]) => ({ id, entry: JSON.parse(fields[fields.indexOf('json') + 1]) as Record<string, unknown> }));
  }

  /** Pages of the stream, newest first; each page starts just before the last one ended (an exclusive range). */
  async findLogEntry(name: string, match: Record<string, string>, count: number) {
    const oldest = Date.now() - retentionSeconds(this.logRetention, name) * 1000;
    let end = '+';
    for (let read = 0; read < count; ) {
      const page = await this.redis.xrevrange(this.key(name), end, '-', 'COUNT', Math.min(LOG_PAGE, count - read));
      for (const [id, fields] of page) {
        if (idTime(id) < oldest) return undefined;
        const entry = JSON.parse(fields[fields.indexOf('json') + 1]) as Record<string, unknown>;
        if (entryMatches(entry, match)) return { id, entry };
      }
      if (page.length < Math.min(LOG_PAGE, count - read)) return undefined;
      read += page.length;
      end = `(${page[page.length - 1][0]}`;
    }
    return undefined;
  }

  /** SCAN, not KEYS: a large keyspace is walked in steps without blocking Redis. Buckets live under `rl:`. */
  async deletePrefix(prefix: string) {
    let deleted = 0;
    for (const pattern of [`${this.prefix}${prefix}*`, `${this.prefix}rl:${prefix}*`]) {
      let cursor = '0';
      do {
        const [next, keys] = await this.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
        cursor = next;
        if (keys.length) deleted += await this.redis.unlink(...keys);
      } while (cursor !== '0');
    }
    return deleted;
  }

  async ping() {
    try {
      return (await this.redis.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  async close() {
    this.redis.disconnect();
  }
}
