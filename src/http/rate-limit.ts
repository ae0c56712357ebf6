import type { NextFunction, Request, Response } from 'express';
import { AppError } from './http-error.js';
import type { SharedState } from '../state/shared-state.js';

export interface RateLimits {
  ipPerMinute: number;
  ipBurst: number;
  /** Per (key, client IP). */
  keyPerMinute: number;
  keyBurst: number;
  /** Per key, all clients together. */
  keyCeilingPerMinute: number;
  keyCeilingBurst: number;
  /** History loads, session deletes and feedback get this many times the question limits, in buckets of their own. */
  upkeepFactor?: number;
}

/**
 * Token buckets per client IP and per API key, kept in shared state so that all replicas count together.
 * Over a limit: 429 with Retry-After. The IP limit runs before authentication (so wrong keys are limited
 * too, and nothing is read before it), the key limit after it.
 */
export function rateLimit(state: SharedState, limits: RateLimits, onLimited?: (limit: 'ip' | 'key' | 'key_ceiling') => void) {
  const take = async (limit: 'ip' | 'key' | 'key_ceiling', bucket: string, burst: number, perSecond: number, response: Response) => {
    const result = await state.takeToken(bucket, burst, perSecond);
    if (!result.allowed) {
      onLimited?.(limit);
      response.setHeader('Retry-After', String(Math.max(1, result.retryAfterSeconds)));
      throw new AppError(429, 'rate_limited', `Too many requests (${limit} limit); retry after ${Math.max(1, result.retryAfterSeconds)} s`);
    }
  };
  // Two budgets with their own buckets: questions, and the upkeep of a conversation (loading its history,
  // deleting it, feedback), which a widget does on every page view. Upkeep must not use up the question budget
  // of a first-time asker behind the same office NAT; it gets `upkeepFactor` times the question limits.
  const limiters = (budget: 'ask' | 'upkeep', factor: number) => ({
    perIp: async (request: Request, response: Response, next: NextFunction) => {
      await take('ip', `${budget === 'ask' ? 'ip' : 'ip-upkeep'}:${request.ip ?? 'unknown'}`, limits.ipBurst * factor, (limits.ipPerMinute * factor) / 60, response);
      next();
    },
    perKey: async (request: Request, response: Response, next: NextFunction) => {
      if (request.apiKey) {
        const prefix = budget === 'ask' ? 'key' : 'key-upkeep';
        await take('key', `${prefix}:${request.apiKey.id}:${request.ip ?? 'unknown'}`, limits.keyBurst * factor, (limits.keyPerMinute * factor) / 60, response);
        await take('key_ceiling', `${prefix}:${request.apiKey.id}`, limits.keyCeilingBurst * factor, (limits.keyCeilingPerMinute * factor) / 60, response);
      }
      next();
    },
  });
  /**
   * Admin calls: a valid admin key gets a bucket of its own (per key and IP), so anonymous or wrong-scope traffic
   * from the same address (an office NAT, a crawler hitting the widget) cannot lock the admin out with 429s.
   * Anything else sent to an admin route (no key, a wrong key, a widget key) uses the IP's ordinary bucket, so
   * guessing keys is limited as before. `identify` only looks the key up; access control decides afterwards.
   */
  // The admin guard stands on the /v1/admin router and again on routers of single resources mounted beside it: a
  // request that passes two of them is one call, and takes one token (it took two, and /admin ran out half-way).
  const counted = new WeakSet<Request>();
  const admin = (identify: (request: Request) => { id: string; scopes: readonly string[] } | undefined) => async (request: Request, response: Response, next: NextFunction) => {
    if (counted.has(request)) return next();
    counted.add(request);
    const key = identify(request);
    if (key?.scopes.includes('admin')) await take('key', `admin:${key.id}:${request.ip ?? 'unknown'}`, limits.ipBurst, limits.ipPerMinute / 60, response);
    else await take('ip', `ip:${request.ip ?? 'unknown'}`, limits.ipBurst, limits.ipPerMinute / 60, response);
    next();
  };
  return { ...limiters('ask', 1), upkeep: limiters('upkeep', limits.upkeepFactor ?? 3), admin };
}
