import express from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { analyticsRoutes, TOPIC_QUESTIONS_MAX } from '../../src/http/analytics-routes.js';
import { errorHandler } from '../../src/http/error-handler.js';
import { GapReporter } from '../../src/insights/gaps.js';
import type { InsightLogs } from '../../src/insights/insight-logs.js';
import { createLogger } from '../../src/log.js';
import { MemoryState } from '../../src/state/shared-state.js';

describe('the dashboard’s gap backlog', () => {
  it('clusters at most the latest questions the topics do, however many refusals the logs hold (each one is a model call)', async () => {
    // 20,000 refusals in the range (a flood of nonsense from the widget fills the unanswered log up to 100,000).
    const now = Date.parse('2026-12-07T12:00:00Z');
    const unanswered = Array.from({ length: 20_000 }, (_, index) => ({
      id: `${index}-0`,
      entry: { question: `nonsense question ${index}`, productLine: 'general', lang: 'en', answerId: `a-${index}`, at: new Date(now - (20_000 - index) * 60_000).toISOString() },
    }));
    const logs = { unanswered: async () => unanswered, feedback: async () => [] } as unknown as InsightLogs;
    let clustered: { id: string }[] = [];
    const clusterer = {
      clusters: async <T extends { id: string }>(items: T[]) => {
        clustered = items;
        return [];
      },
      onTopic: async <T>(items: T[]) => items,
    };
    const app = express();
    app.use(analyticsRoutes({ guard: [], logs, clusterer: clusterer as never, state: new MemoryState(), now: () => now }));
    app.use(errorHandler(createLogger('silent')));
    const response = await request(app).get('/v1/admin/analytics/gaps');
    expect(response.status, response.text).toBe(200);
    expect(clustered).toHaveLength(TOPIC_QUESTIONS_MAX);
    expect(clustered.at(-1)?.id).toBe('19999-0');
  });
});

describe('the dashboard’s gaps and topics', () => {
  it('never group an agent’s question (which may name internal things) with the customers’, as the gaps report does not', async () => {
    const embedder = {
      modelKey: 'same',
      dimension: 2,
      maxEmbeddingsPerCall: 16,
      countTokens: (text: string) => text.length,
      embedPassages: async (texts: string[]) => texts.map(() => Float32Array.of(1, 0)),
      embedQuery: async () => Float32Array.of(1, 0),
    };
    const at = '2026-12-07T10:00:00.000Z';
    const entry = (answerId: string, audiences?: string[]) => ({
      answerId,
      question: 'What does the Pulse partner tier cost?',
      productLine: 'general',
      lang: 'en',
      channel: 'widget',
      at,
      ...(audiences ? { audiences } : {}),
    });
    const unanswered = [
      { id: '1-0', entry: entry('a-1') },
      { id: '2-0', entry: entry('a-2', ['agents', 'public']) },
    ];
    const logs = {
      unanswered: async () => unanswered,
      feedback: async () => [],
      turns: async () => ({ turns: unanswered.map(({ entry: turn }) => turn), loneHandoffs: [] }),
    } as unknown as InsightLogs;
    const app = express();
    app.use(analyticsRoutes({ guard: [], logs, clusterer: new GapReporter(embedder, { similarity: 0.75 }), state: new MemoryState(), now: () => Date.parse(at) }));
    app.use(errorHandler(createLogger('silent')));
    for (const chart of ['gaps', 'topics']) {
      const response = await request(app).get(`/v1/admin/analytics/${chart}`);
      expect(response.status, response.text).toBe(200);
      expect(
        response.body.rows.map((row: { count: number }) => row.count),
        chart,
      ).toEqual([1, 1]);
    }
  });
});
