import express from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { uploadRoutes } from '../../src/http/upload-routes.js';
import { KnowledgeService } from '../../src/ingest/knowledge-service.js';
import type { SharedState } from '../../src/state/shared-state.js';

/**
 * A FAQ sheet is one document per row, so an uploaded sheet of tens of thousands of rows is ordinary. Listing the
 * uploads must cost work linear in those documents: it copied a file's id list once per document (rows², seconds
 * of blocked event loop on every view of the admin page). Measured as array iteration steps (deterministic).
 */
describe('the uploads list of a sheet with many rows', () => {
  it('lists every document of the file in work linear in their number', async () => {
    const rows = 5000;
    const documents = new Map(Array.from({ length: rows }, (_, index) => [`faq-${index}`, { sourcePath: 'uploads/faq.csv', contentHash: 'h' }]));
    const app = express();
    app.use(
      uploadRoutes({
        guard: [],
        knowledge: new KnowledgeService({
          documents: { uploads: async () => [{ name: 'faq.csv', path: 'uploads/faq.csv', bytes: 1, modifiedAt: '2026-12-07T00:00:00.000Z' }] } as never,
          store: { documentHashes: async () => documents } as never,
          jobs: { start: async () => ({}) } as never,
          lock: {} as never,
        }),
        state: {} as SharedState,
      }),
    );
    const original = Array.prototype[Symbol.iterator];
    let steps = 0;
    Array.prototype[Symbol.iterator] = function (this: unknown[]) {
      const iterator = original.call(this);
      return {
        next: () => {
          steps++;
          return iterator.next();
        },
        [Symbol.iterator]() {
          return this;
        },
      } as ArrayIterator<unknown>;
    };
    let response: request.Response;
    try {
      response = await request(app).get('/v1/admin/uploads');
    } finally {
      Array.prototype[Symbol.iterator] = original;
    }
    expect(response.status).toBe(200);
    expect(response.body.uploads[0].docIds).toHaveLength(rows);
    expect(response.body.uploads[0].served).toBe(true);
    expect(steps).toBeLessThan(40 * rows);
  });
});
