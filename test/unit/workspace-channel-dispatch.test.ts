import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import express from 'express';
import request from 'supertest';
import { describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { errorHandler } from '../../src/http/error-handler.js';
import type { WorkspaceServicesOptions } from '../../src/http/workspace-services.js';
import { createLogger } from '../../src/log.js';
import { tempDir } from '../support/real-stack.js';
import { standInWorkspaces } from '../support/workspaces.js';

/** A stand-in build that records the workspace built and answers every request with its id. */
function answeringBuild(built: string[]): WorkspaceServicesOptions['build'] {
  return async (_config, context) => {
    built.push(context.id);
    return {
      app: ((_request: express.Request, response: express.Response) => void response.json({ workspace: context.id })) as never,
      metrics: {} as never,
      jobs: { settled: async () => undefined },
      curated: { list: () => [] },
      close: async () => undefined,
    };
  };
}

/**
 * `/channels/<platform>/<workspace>` is a public URL (platforms carry no key): it reaches a workspace's app only for a
 * platform that workspace has an account on, so an anonymous caller cannot have workspaces built (and kept in memory)
 * by naming them, nor learn which workspace ids exist.
 */
describe('a workspace’s channel callback URL', () => {
  it('builds the workspace only for a platform it has an account on', async () => {
    const built: string[] = [];
    const workspaces = standInWorkspaces(loadConfig({}), {
      build: answeringBuild(built),
    });
    await workspaces.registry.create({ id: 'quiet', name: 'No channels' }, 'ops');
    await workspaces.registry.create({ id: 'chat', name: 'WeChat', settings: { channels: { wechat: { appId: 'wxchat0000000000001' } } } }, 'ops');
    const app = express();
    app.use(workspaces.dispatch);
    app.use(errorHandler(createLogger('silent')));

    for (const path of ['/channels/wechat/quiet', '/channels/feishu/quiet', '/channels/wecom/chat', '/channels/wechat/nobody']) {
      const response = await request(app).post(path).send('<xml/>');
      expect([path, response.status, response.body.error.code]).toEqual([path, 404, 'channel_not_found']);
    }
    expect(built).toEqual([]);
    expect((await request(app).post('/channels/wechat/chat').send('<xml/>')).body).toEqual({ workspace: 'chat' });
    expect(built).toEqual(['chat']);
    await workspaces.close();
  });
});

/**
 * `/v1/helpdesk/<helpdesk>/<workspace>` is public too: one 404 for an id that does not exist and one without that
 * helpdesk's secret, and the same work for both, so neither the answer nor the file reads tell them apart.
 */
describe('a workspace’s helpdesk reply URL', () => {
  it('reads WORKSPACE_SECRETS_FILE once while it is unchanged, for an id that exists or not', async () => {
    const temp = await tempDir('helpdesk-secrets');
    const file = path.join(temp.dir, 'secrets.json');
    await writeFile(file, JSON.stringify({ quiet: { HELPDESK_REPLY_SECRET: 'quiet-reply-secret' } }));
    const config = loadConfig({ WORKSPACE_SECRETS_FILE: file });
    const warnings: string[] = [];
    const logs = new Writable({
      write(line, _encoding, done) {
        warnings.push(JSON.parse(String(line)).msg);
        done();
      },
    });
    const built: string[] = [];
    const workspaces = standInWorkspaces(config, {
      logger: createLogger('warn', logs),
      build: answeringBuild(built),
    });
    await workspaces.registry.create({ id: 'quiet', name: 'Helpdesk replies only' }, 'ops');
    const app = express();
    app.use(workspaces.dispatch);
    app.use(errorHandler(createLogger('silent')));
    // Broken after start-up: each read of it is told (logged), so the reads can be counted.
    await writeFile(file, 'not json');
    for (const id of ['quiet', 'nobody', 'quiet', 'nobody', 'quiet', 'nobody']) {
      const response = await request(app).post(`/v1/helpdesk/zendesk/${id}`).send('{}');
      expect([id, response.status, response.body.error.code]).toEqual([id, 404, 'helpdesk_not_found']);
    }
    expect(warnings.filter((message) => message === 'WORKSPACE_SECRETS_FILE not read')).toHaveLength(1);
    // A secret added to the file is taken without a restart (a longer file: a change its size shows).
    await writeFile(file, JSON.stringify({ quiet: { HELPDESK_ZENDESK_SIGNING_SECRET: 'quiet-zendesk-signing-secret' } }));
    expect((await request(app).post('/v1/helpdesk/zendesk/quiet').send('{}')).body).toEqual({ workspace: 'quiet' });
    expect(built).toEqual(['quiet']);
    await workspaces.close();
    await temp.remove();
  });
});

/**
 * The public addresses carry no key: a workspace whose build fails must not be built again for every call to them
 * (anyone could keep the process rebuilding it). Its failure is remembered for a backoff that doubles.
 */
describe('a workspace whose build fails', () => {
  /** A workspace `broken` whose every build fails, its build attempts, and a call to its public helpdesk address. */
  const brokenWorkspace = async (options: Partial<WorkspaceServicesOptions> = {}) => {
    const temp = await tempDir('helpdesk-failed-build');
    const file = path.join(temp.dir, 'secrets.json');
    await writeFile(file, JSON.stringify({ broken: { HELPDESK_REPLY_SECRET: 'broken-reply-secret' } }));
    const attempts: string[] = [];
    const workspaces = standInWorkspaces(loadConfig({ WORKSPACE_SECRETS_FILE: file }), {
      ...options,
      build: async (_config, context) => {
        attempts.push(context.id);
        throw new Error('rules file does not parse');
      },
    });
    await workspaces.registry.create({ id: 'broken', name: 'Cannot be built' }, 'ops');
    const app = express();
    app.use(workspaces.dispatch);
    app.use(errorHandler(createLogger('silent')));
    const call = async () => (await request(app).post('/v1/helpdesk/replies/broken').send('{}')).status;
    const close = async () => {
      await workspaces.close();
      await temp.remove();
    };
    return { workspaces, attempts, call, close };
  };

  it('is not built again by calls during its backoff, is after it, and at once after its settings change', async () => {
    let now = 0;
    const { workspaces, attempts, call, close } = await brokenWorkspace({ now: () => now });

    expect([await call(), await call(), await call(), await call()]).toEqual([500, 500, 500, 500]);
    expect(attempts).toHaveLength(1);
    now += 1001;
    expect([await call(), await call()]).toEqual([500, 500]);
    expect(attempts).toHaveLength(2);
    // The second failure in a row waits twice as long.
    now += 1001;
    await call();
    expect(attempts).toHaveLength(2);
    now += 1000;
    await call();
    expect(attempts).toHaveLength(3);
    // New settings are a new build, tried at the next call.
    await workspaces.update('broken', { settings: { companyName: 'Fixed' } }, 'ops');
    await call();
    expect(attempts).toHaveLength(4);
    await close();
  });

  it('has its backoff measured on a clock that only moves forward: the wall clock set back (NTP, a resumed VM) does not stretch it', async () => {
    const { attempts, call, close } = await brokenWorkspace();
    vi.useFakeTimers({ toFake: ['Date', 'performance'] });
    try {
      expect(await call()).toBe(500);
      expect(attempts).toHaveLength(1);
      // The wall clock is set back an hour, then the first backoff (1 s) passes.
      vi.setSystemTime(Date.now() - 3_600_000);
      vi.advanceTimersByTime(1001);
      expect(await call()).toBe(500);
      expect(attempts).toHaveLength(2);
    } finally {
      vi.useRealTimers();
      await close();
    }
  });
});
