import express from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { errorHandler } from '../../src/http/error-handler.js';
import { createLogger } from '../../src/log.js';
import { standInWorkspaces } from '../support/workspaces.js';

/**
 * `/channels/<platform>/<workspace>` is a public URL (platforms carry no key): it reaches a workspace's app only for a
 * platform that workspace has an account on, so an anonymous caller cannot have workspaces built (and kept in memory)
 * by naming them, nor learn which workspace ids exist.
 */
describe('a workspace’s channel callback URL', () => {
  it('builds the workspace only for a platform it has an account on', async () => {
    const built: string[] = [];
    const workspaces = standInWorkspaces(loadConfig({}), {
      build: async (_config, context) => {
        built.push(context.id);
        return {
          app: ((_request: express.Request, response: express.Response) => void response.json({ workspace: context.id })) as never,
          metrics: {} as never,
          jobs: { settled: async () => undefined },
          curated: { list: () => [] },
          close: async () => undefined,
        };
      },
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
