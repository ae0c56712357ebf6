import { Writable } from 'node:stream';
import express from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { Gate } from '../../src/gate.js';
import { AccessControl, hashKey } from '../../src/http/access.js';
import { Admission } from '../../src/http/admission.js';
import { errorHandler } from '../../src/http/error-handler.js';
import { createLogger } from '../../src/log.js';
import { WorkspaceLoad } from '../../src/workspaces/workspace-load.js';
import { standInWorkspaces } from '../support/workspaces.js';

/**
 * One flooded workspace pays for the load it causes: it meets its own ceiling at the dispatcher, only it is shed for
 * the process's event-loop lag and model queue, and the models' gate serves a quiet workspace's call before the
 * flood's queue (bench:workspaces measures the latency this gives).
 */
describe('the requests in flight per workspace', () => {
  it('hold a workspace to its ceiling only while another workspace has requests in flight', () => {
    const load = new WorkspaceLoad(2);
    const alone = [load.enter('a'), load.enter('a'), load.enter('a')];
    expect(alone.every(Boolean)).toBe(true);
    const quiet = load.enter('b');
    expect(quiet).toBeDefined();
    expect(load.enter('a')).toBeUndefined();
    expect(load.enter('b')).toBeDefined();
    quiet!();
    quiet!();
    expect(load.of('b')).toBe(1);
  });

  it('put the process’s load on the workspace with the most of them, on both when they are alike, and on one alone', () => {
    const load = new WorkspaceLoad(100);
    load.enter('a');
    expect(load.overShare('a')).toBe(true);
    for (let index = 0; index < 4; index++) load.enter('a');
    const quiet = load.enter('b');
    expect(load.overShare('a')).toBe(true);
    expect(load.overShare('b')).toBe(false);
    for (let index = 0; index < 4; index++) load.enter('b');
    expect([load.overShare('a'), load.overShare('b')]).toEqual([true, true]);
    quiet!();
    expect(load.overShare('b')).toBe(false);
  });
});

describe('load shedding of one workspace among others', () => {
  const app = (admission: Admission) => {
    const served = express();
    served.get('/work', admission.middleware, (_request, response) => void response.json({ ok: true }));
    served.use(errorHandler(createLogger('silent')));
    return served;
  };

  it('sheds for event-loop lag and a full model queue only the workspace bearing the process’s load', async () => {
    let bears = true;
    const options = { maxInFlight: 100, maxEventLoopLagMs: 50, lagMs: () => 400, bearsProcessLoad: () => bears };
    const flooded = await request(app(new Admission(options))).get('/work');
    expect(flooded.status).toBe(503);
    expect(flooded.headers['retry-after']).toBe('1');
    bears = false;
    expect((await request(app(new Admission(options))).get('/work')).status).toBe(200);
    const queue = { maxInFlight: 100, maxEventLoopLagMs: 10_000, inferenceQueue: { length: () => 9, max: 4 }, bearsProcessLoad: () => bears };
    expect((await request(app(new Admission(queue))).get('/work')).status).toBe(200);
    // Its own answer queue still applies to it.
    expect((await request(app(new Admission({ ...queue, answerQueue: { length: () => 8, max: 8 } }))).get('/work')).status).toBe(503);
  });
});

describe('the dispatcher', () => {
  it('refuses a flooded workspace’s request over its ceiling with 429 and Retry-After, while another workspace is still served, and its answer requests while it sheds', async () => {
    const load = new WorkspaceLoad(1);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const keys: Record<string, { id: string; scopes: string[]; workspace?: string }> = { a: { id: 'a', scopes: ['widget'] }, b: { id: 'b', scopes: ['widget'], workspace: 'b' } };
    const workspaces = standInWorkspaces(loadConfig({}), {
      access: { identify: (request: express.Request) => keys[request.header('x-api-key') ?? ''], allowOrigin: () => false } as never,
      load,
      build: async () => ({
        app: (async (_request: express.Request, response: express.Response) => {
          await held;
          response.json({ workspace: 'b' });
        }) as never,
        metrics: {} as never,
        jobs: { settled: async () => undefined },
        curated: { list: () => [] },
        close: async () => undefined,
      }),
    });
    await workspaces.registry.create({ id: 'b', name: 'B' }, 'ops');
    const until = async (condition: () => boolean) => {
      while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
    };
    const app = express();
    app.use(workspaces.dispatch);
    app.get('/v1/slow', async (_request, response) => {
      await held;
      response.json({ workspace: 'default' });
    });
    let reached = 0;
    app.post('/v1/ask', (_request, response) => void (reached++, response.json({})));
    app.use(errorHandler(createLogger('silent')));
    const server = app.listen(0);
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const get = (key: string) => fetch(`${base}/v1/slow`, { headers: { 'x-api-key': key } });
    try {
      // A alone may exceed its ceiling of 1: no other workspace is busy.
      const first = [get('a'), get('a')];
      await until(() => load.of('default') === 2);
      // B is admitted beside the flood; A, over its ceiling while B is busy, is refused.
      const quiet = get('b');
      await until(() => load.of('b') === 1);
      const refused = await get('a');
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect((await refused.json()).error.code).toBe('workspace_at_capacity');
      release();
      expect(await (await quiet).json()).toEqual({ workspace: 'b' });
      for (const response of await Promise.all(first)) expect(response.status).toBe(200);

      // A workspace whose admission sheds has its answer requests refused here, before its routes run; others pass.
      const ask = () => fetch(`${base}/v1/ask`, { method: 'POST', headers: { 'x-api-key': 'a' } });
      const removeShedder = load.setShedder('default', () => true);
      const shed = await ask();
      expect([shed.status, shed.headers.get('retry-after'), reached]).toEqual([503, '1', 0]);
      const other = get('a');
      release();
      expect((await other).status).toBe(200);
      removeShedder();
      expect((await ask()).status).toBe(200);
      expect(reached).toBe(1);
      await workspaces.close();
    } finally {
      server.close();
    }
  });
});

describe('the dispatcher’s refusals under a flood', () => {
  it('are answered at once, never passed down the app to the error handler, and logged once per interval with their count', async () => {
    const lines: { msg: string; workspace?: string; code?: string; count?: number }[] = [];
    const logger = createLogger(
      'info',
      new Writable({
        write(chunk, _encoding, done) {
          lines.push(JSON.parse(String(chunk)));
          done();
        },
      }),
    );
    const load = new WorkspaceLoad(10);
    const workspaces = standInWorkspaces(loadConfig({}), { access: { identify: () => ({ id: 'a', scopes: ['widget'] }), allowOrigin: () => false } as never, load, logger });
    load.setShedder('default', () => true);
    const app = express();
    app.use(workspaces.dispatch);
    let passedOn = 0;
    app.use(((error, _request, _response, next) => {
      passedOn++;
      next(error);
    }) as express.ErrorRequestHandler);
    app.use(errorHandler(logger));
    for (let index = 0; index < 20; index++) {
      const response = await request(app).post('/v1/ask').send({ question: 'How do I pair it?' });
      expect([response.status, response.headers['retry-after'], response.body.error.code]).toEqual([503, '1', 'overloaded']);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
    }
    expect(passedOn).toBe(0);
    await workspaces.close();
    expect(lines.map(({ msg, workspace, code, count }) => ({ msg, workspace, code, count }))).toEqual([{ msg: 'requests shed', workspace: 'default', code: 'overloaded', count: 20 }]);
  });
});

describe('the dispatcher’s refusals seen from a browser', () => {
  it('let the widget’s page read them: an allowed origin gets its CORS headers on a 503 and a 429, so the widget says "busy, retry" and not "network down"', async () => {
    const access = new AccessControl([{ id: 'widget', sha256: hashKey('widget-key'), scopes: ['widget'], origins: ['https://shop.example'] }]);
    const load = new WorkspaceLoad(1);
    const workspaces = standInWorkspaces(loadConfig({}), { access, load });
    const app = express();
    app.use(workspaces.dispatch);
    app.use(errorHandler(createLogger('silent')));
    const headers = { 'x-api-key': 'widget-key', origin: 'https://shop.example' };
    const removeShedder = load.setShedder('default', () => true);
    const shed = await request(app).post('/v1/ask').set(headers).send({ question: 'How do I pair it?' });
    removeShedder();
    // At its ceiling of 1 beside a busy other workspace: refused with 429.
    const leaveDefault = load.enter('default');
    const leaveOther = load.enter('other');
    const atCapacity = await request(app).get('/v1/conversations').set(headers);
    leaveDefault!();
    leaveOther!();
    for (const response of [shed, atCapacity]) {
      expect(response.headers['access-control-allow-origin']).toBe('https://shop.example');
      expect(response.headers['access-control-expose-headers']).toMatch(/Retry-After/);
      expect(response.headers['x-content-type-options']).toBe('nosniff');
    }
    expect([shed.status, atCapacity.status]).toEqual([503, 429]);
    // An origin no key allows still reads nothing.
    const stranger = await request(app)
      .post('/v1/ask')
      .set({ ...headers, origin: 'https://evil.example' });
    expect(stranger.headers['access-control-allow-origin']).toBeUndefined();
    await workspaces.close();
  });
});

describe('a CORS preflight at the dispatcher', () => {
  it('is answered by CORS, never refused for the default workspace’s load: it carries no key, so any workspace’s widget’s preflight was counted as default’s', async () => {
    const access = new AccessControl([{ id: 'quiet', sha256: hashKey('quiet-key'), scopes: ['widget'], origins: ['https://quiet.example'], workspace: 'quiet' }]);
    const load = new WorkspaceLoad(1);
    const workspaces = standInWorkspaces(loadConfig({}), { access, load });
    const app = express();
    app.use(workspaces.dispatch);
    app.use(access.cors);
    app.use(errorHandler(createLogger('silent')));
    // The default workspace at its ceiling of 1 beside a busy other workspace.
    const leaveDefault = load.enter('default');
    const leaveOther = load.enter('other');
    const preflight = await request(app)
      .options('/v1/ask')
      .set({ origin: 'https://quiet.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, x-api-key' });
    leaveDefault!();
    leaveOther!();
    expect([preflight.status, preflight.headers['access-control-allow-origin']]).toEqual([204, 'https://quiet.example']);
    await workspaces.close();
  });
});

describe('the models’ gate shared by workspaces', () => {
  it('gives a freed slot to the quiet workspace’s call before the flooded one’s queue, each in its order', async () => {
    const gate = new Gate(1);
    const order: string[] = [];
    const holder = await gate.acquire('a');
    const waiting = [
      ...Array.from({ length: 5 }, (_, index) => gate.acquire('a').then((release) => (order.push(`a${index}`), release()))),
      gate.acquire('b').then((release) => (order.push('b0'), release())),
    ];
    expect(gate.queued).toBe(6);
    holder();
    await Promise.all(waiting);
    expect(order).toEqual(['b0', 'a0', 'a1', 'a2', 'a3', 'a4']);
  });

  it('is first come first served without workspaces', async () => {
    const gate = new Gate(1);
    const order: number[] = [];
    const holder = await gate.acquire();
    const waiting = Array.from({ length: 4 }, (_, index) => gate.acquire().then((release) => (order.push(index), release())));
    holder();
    await Promise.all(waiting);
    expect(order).toEqual([0, 1, 2, 3]);
  });
});
