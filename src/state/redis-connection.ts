import { Redis } from 'ioredis';

/** A connection to Redis, as the factory opened it. Modules that still send raw commands take this type. */
export type RedisConnection = Redis;

/**
 * What each user of Redis needs from its connection. They differ on purpose, and this is the one place
 * that says how and why:
 * - `state`: sessions, rate limits, caches, logs. Commands fail fast while Redis is down (no offline queue,
 *   short timeout) so the resilient wrapper answers from process memory instead of letting requests hang;
 *   ioredis keeps reconnecting in the background.
 * - `lease`: the ingestion lock. Connects on demand and fails within seconds: a run that cannot take the lock
 *   says so instead of waiting.
 * - `records`: the e-mail channel's records. A few retries per command: a record must not be lost to a blip,
 *   and it must not share the state client's fail-fast settings.
 */
export type RedisProfile = 'state' | 'lease' | 'records';

export interface RedisConnectionOptions {
  /** `state` only: how long a command may take before it fails. */
  commandTimeoutMs?: number;
  /** Where connection errors go; without it they are dropped (a listener must exist: an unhandled 'error' event crashes the process). */
  onError?: (error: Error) => void;
}

/** Opens a connection to `url` with the settings of `profile` (see RedisProfile). */
export function openRedis(url: string, profile: RedisProfile, options: RedisConnectionOptions = {}): RedisConnection {
  const redis =
    profile === 'state'
      ? new Redis(url, {
          enableOfflineQueue: false,
          maxRetriesPerRequest: 0,
          commandTimeout: options.commandTimeoutMs ?? 500,
          connectTimeout: 2000,
          lazyConnect: false,
          retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
        })
      : profile === 'lease'
        ? new Redis(url, { maxRetriesPerRequest: 1, connectTimeout: 3000, commandTimeout: 3000, lazyConnect: true })
        : new Redis(url, { maxRetriesPerRequest: 5 });
  redis.on('error', options.onError ?? (() => undefined));
  return redis;
}

/**
 * The connection settings BullMQ opens its own connections with (queues and workers each need their own, and
 * a worker's blocking reads need one more). `maxRetriesPerRequest: null` is what BullMQ requires of them.
 */
export interface QueueConnection {
  url: string;
  maxRetriesPerRequest: null;
}

export function queueConnection(url: string): QueueConnection {
  return { url, maxRetriesPerRequest: null };
}
