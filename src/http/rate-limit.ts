import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../errors.js';
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
  return {
    perIp: async (request: Request, response: Response, next: NextFunction) => {
      await take('ip', `ip:${request.ip ?? 'unknown'}`, limits.ipBurst, limits.ipPerMinute / 60, response);
      next();
    },
    perKey: async (request: Request, response: Response, next: NextFunction) => {
      if (request.apiKey) {
        await take('key', `key:${request.apiKey.id}:${request.ip ?? 'unknown'}`, limits.keyBurst, limits.keyPerMinute / 60, response);
        await take('key_ceiling', `key:${request.apiKey.id}`, limits.keyCeilingBurst, limits.keyCeilingPerMinute / 60, response);
      }
      next();
    },
  };
}
