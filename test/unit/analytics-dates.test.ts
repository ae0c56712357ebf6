import express from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { analyticsRoutes } from '../../src/http/analytics-routes.js';
import { errorHandler } from '../../src/http/error-handler.js';
import type { InsightLogs } from '../../src/insights/insight-logs.js';
import { createLogger } from '../../src/log.js';
import { MemoryState } from '../../src/state/shared-state.js';

describe('the analytics date range', () => {
  const logs = { turns: async () => ({ turns: [], loneHandoffs: [] }), feedback: async () => [], ratings: async () => [] } as unknown as InsightLogs;
  const app = express();
  app.use(analyticsRoutes({ guard: [], logs, clusterer: { clusters: async () => [] } as never, state: new MemoryState(), now: () => Date.parse('2026-12-07T12:00:00Z') }));
  app.use(errorHandler(createLogger('silent')));

  it('refuses a day that does not exist with a 400 JSON error instead of rolling it over into the next month', async () => {
    for (const query of ['from=2026-02-30', 'to=2026-02-29', 'from=2026-04-31T10:00:00Z', 'from=2026-13-01', 'to=2026-00-10']) {
      const response = await request(app).get(`/v1/admin/analytics/outcomes?${query}`);
      expect(response.status, query).toBe(400);
      expect(response.type, query).toBe('application/json');
      expect(response.body.error.code, query).toBeTypeOf('string');
    }
  });

  it('takes real days, a leap day included', async () => {
    const response = await request(app).get('/v1/admin/analytics/outcomes?from=2024-02-29&to=2024-03-01');
    expect(response.status, response.text).toBe(200);
    expect(response.body).toMatchObject({ from: '2024-02-29', to: '2024-03-01' });
  });
});
