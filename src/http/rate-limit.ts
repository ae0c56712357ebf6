import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../errors.js';
import type { SharedState } from '../state/shared-state.js';

export interface RateLimits {
  ipPerMinute: number;
  ipBurst: number;
  keyPerMinute: number;
  keyBurst: number;
}

/**
 * Token buckets per client IP and per API key, kept in shared state so that all replicas count together.
 * Over either limit: 429 with Retry-After.
 */
export function rateLimit(state: SharedState, limits: RateLimits, onLimited?: (limit: 'ip' | 'key') => void) {
  return async (request: Request, response: Response, next: NextFunction) => {
    const checks: ['ip' | 'key', string, number, number][] = [['ip', `ip:${request.ip ?? 'unknown'}`, limits.ipBurst, limits.ipPerMinute / 60]];
    if (request.apiKey) checks.push(['key', `key:${request.apiKey.id}`, limits.keyBurst, limits.keyPerMinute / 60]);
    for (const [limit, bucket, burst, perSecond] of checks) {
      const result = await state.takeToken(bucket, burst, perSecond);
      if (!result.allowed) {
        onLimited?.(limit);
        response.setHeader('Retry-After', String(Math.max(1, result.retryAfterSeconds)));
        throw new AppError(429, 'rate_limited', `Too many requests (${limit} limit); retry after ${Math.max(1, result.retryAfterSeconds)} s`);
      }
    }
    next();
  };
}
