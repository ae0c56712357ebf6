import express from 'express';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { Handoffs } from '../../src/handoff/handoffs.js';
import { errorHandler } from '../../src/http/error-handler.js';
import { handoffAdminRoutes } from '../../src/http/handoff-admin-routes.js';
import { createLogger } from '../../src/log.js';
import { RedisState } from '../../src/state/redis-state.js';
import { MemoryState, type SharedState } from '../../src/state/shared-state.js';
import { tempDir } from '../support/real-stack.js';

/**
 * A handoff request is looked up by its id, newest first, instead of reading the whole support list: in process
 * memory, in the in-process file logs, and in Redis (whose streams are read a page at a time, so the lookups
 * here cross pages).
 */
const REDIS_URL = 'redis://127.0.0.1:6379';
const redis = RedisState.connect(REDIS_URL, { prefix: `kefu-handoff-lookup-${process.pid}-${Date.now()}:` });
const files = await tempDir('handoff-lookup');

afterAll(async () => {
  await redis.deletePrefix('');
  await redis.close();
  await files.remove();
});

const states: [string, SharedState][] = [
  ['process memory', new MemoryState()],
  ['the file logs', new MemoryState(Date.now, files.dir)],
  ['Redis', redis],
];

describe.each(states)('finding a log entry by its fields in %s', (_name, state) => {
  it('returns the newest match among the last entries asked for, and nothing past them', async () => {
    for (let index = 0; index < 450; index++) await state.appendLog('lookup', { id: `r-${index % 300}`, index }, 1000);
    // r-10 was written twice (index 10 and 310): the newest comes back.
    expect((await state.findLogEntry('lookup', { id: 'r-10' }, 1000))?.entry).toEqual({ id: 'r-10', index: 310 });
    // r-200 is only at index 200, 250 entries back: found across pages, missed when asked for the last 100 only.
    expect((await state.findLogEntry('lookup', { id: 'r-200' }, 1000))?.entry.index).toBe(200);
    expect(await state.findLogEntry('lookup', { id: 'r-200' }, 100)).toBeUndefined();
    expect(await state.findLogEntry('lookup', { id: 'r-missing' }, 1000)).toBeUndefined();
    expect(await state.findLogEntry('never-written', { id: 'r-1' }, 1000)).toBeUndefined();
  });

  it('serves GET /v1/admin/handoffs/:id with the request’s status and resolutions', async () => {
    const handoffs = new Handoffs(state, createLogger('silent'), {});
    const first = await handoffs.request({ name: 'Ann', email: 'a@example.com', question: 'Where is my parcel?', consent: true, lang: 'en' });
    const second = await handoffs.request({ name: 'Bo', email: 'b@example.com', question: 'Can I return the band?', consent: true, lang: 'en' });
    await handoffs.resolve(first, { answer: 'It ships tomorrow.' }, 'agent-1');
    const closed = await handoffs.close(first, 'agent-1');
    const app = express();
    const pass: express.RequestHandler = (_request, _response, next) => next();
    app.use(handoffAdminRoutes({ guard: [pass], handoffs, state }));
    app.use(errorHandler(createLogger('silent')));
    const one = await request(app).get(`/v1/admin/handoffs/${first.id}`);
    expect(one.status, one.text).toBe(200);
    expect(one.body).toMatchObject({ id: first.id, question: 'Where is my parcel?', status: 'closed', closed, resolutions: [{ answer: 'It ships tomorrow.', by: 'agent-1' }] });
    // The same request as the support list shows it.
    expect(one.body).toEqual((await handoffs.withStatus(100)).find((handoff) => handoff.id === first.id));
    expect((await request(app).get(`/v1/admin/handoffs/${second.id}`)).body).toMatchObject({ id: second.id, status: 'open', resolutions: [] });
    expect((await request(app).get('/v1/admin/handoffs/00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });
});
