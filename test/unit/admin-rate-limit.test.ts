import type { NextFunction, Request, Response } from 'express';
import { describe, expect, it } from 'vitest';
import { rateLimit } from '../../src/http/rate-limit.js';
import { MemoryState } from '../../src/state/shared-state.js';

const limits = { ipPerMinute: 0.001, ipBurst: 3, keyPerMinute: 60, keyBurst: 10, keyCeilingPerMinute: 60, keyCeilingBurst: 10 };
const response = { setHeader: () => undefined } as unknown as Response;

describe('the admin rate limit', () => {
  it('takes one token per request, however many admin guards the request passes', async () => {
    const limiter = rateLimit(new MemoryState(), limits);
    const guard = limiter.admin(() => ({ id: 'ops', scopes: ['admin'] }));
    const passes = async () => {
      const request = { ip: '10.0.0.1' } as Request;
      // The /v1/admin router's guard, then the guard of a resource router mounted after it.
      for (let step = 0; step < 2; step++) await guard(request, response, (() => undefined) as NextFunction);
    };
    for (let call = 0; call < 3; call++) await passes();
    await expect(passes()).rejects.toMatchObject({ status: 429 });
  });
});
