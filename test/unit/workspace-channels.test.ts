import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { readWorkspaceSecrets } from '../../src/workspaces/workspace-channels.js';
import { workspaceConfig } from '../../src/workspaces/workspace-config.js';
import { tempDir } from '../support/real-stack.js';

/**
 * A created workspace's messaging accounts and hand-off webhook: its own ids from its settings, its secrets from the
 * deployment's WORKSPACE_SECRETS (or its file, read again each time), each channel on only with all its secrets, and
 * never the deployment's accounts.
 */
const temp = await tempDir('workspace-channels');
afterAll(() => temp.remove());

const deployment = {
  WECHAT_APP_ID: 'wxdeployment0000001',
  WECHAT_APP_SECRET: 'deployment-secret',
  WECHAT_TOKEN: 'deployment-token',
  HANDOFF_WEBHOOK_URL: 'https://helpdesk.example/hook',
  HANDOFF_WEBHOOK_SECRET: 'deployment-hook',
};
const settings = { channels: { wechat: { appId: 'wxbrandb00000000001' }, dingtalk: { clientId: 'ding-b' } }, handoffWebhook: { url: 'https://b.example/hook' } };

describe('a created workspace’s channels', () => {
  it('are its own accounts with its own secrets, each on only with all of them; never the deployment’s', () => {
    const config = loadConfig({ ...deployment, WORKSPACE_SECRETS: JSON.stringify({ brandb: { WECHAT_APP_SECRET: 'b-secret', WECHAT_TOKEN: 'b-token', HANDOFF_WEBHOOK_SECRET: 'b-hook' } }) });
    const derived = workspaceConfig(config, { id: 'brandb', settings }, config.WORKSPACE_SECRETS.brandb);
    expect(derived).toMatchObject({
      WECHAT_APP_ID: 'wxbrandb00000000001',
      WECHAT_APP_SECRET: 'b-secret',
      WECHAT_TOKEN: 'b-token',
      HANDOFF_WEBHOOK_URL: 'https://b.example/hook',
      HANDOFF_WEBHOOK_SECRET: 'b-hook',
    });
    // DingTalk without its secret stays off.
    expect(derived.DINGTALK_CLIENT_ID).toBeUndefined();
    // Without secrets (every use but its build), and without settings: no account at all, the deployment's least of all.
    const bare = workspaceConfig(config, { id: 'brandb', settings: {} });
    expect(bare).toMatchObject({ WECHAT_APP_ID: undefined, WECHAT_APP_SECRET: undefined, WECHAT_TOKEN: undefined });
    // Without a webhook of its own, the deployment's (as before).
    expect(bare.HANDOFF_WEBHOOK_URL).toBe(deployment.HANDOFF_WEBHOOK_URL);
  });

  it('send their own webhook their own credentials, never the deployment’s helpdesk Authorization', () => {
    const config = loadConfig({ ...deployment, HANDOFF_WEBHOOK_AUTHORIZATION: 'Basic deployment-zendesk-token' });
    expect(workspaceConfig(config, { id: 'brandb', settings }, {}).HANDOFF_WEBHOOK_AUTHORIZATION).toBeUndefined();
    expect(workspaceConfig(config, { id: 'brandb', settings }, { HANDOFF_WEBHOOK_AUTHORIZATION: 'Bearer b' }).HANDOFF_WEBHOOK_AUTHORIZATION).toBe('Bearer b');
    // Without a webhook of its own, the deployment's webhook with its credentials (as before).
    expect(workspaceConfig(config, { id: 'brandb', settings: {} }).HANDOFF_WEBHOOK_AUTHORIZATION).toBe('Basic deployment-zendesk-token');
  });

  it('take secrets from a file read again each time, the setting winning, and refuse a malformed one at start-up', async () => {
    const file = path.join(temp.dir, 'secrets.json');
    await writeFile(file, JSON.stringify({ brandb: { WECHAT_TOKEN: 'from-file', WECHAT_APP_SECRET: 'file-secret' } }));
    const config = loadConfig({ WORKSPACE_SECRETS_FILE: file, WORKSPACE_SECRETS: JSON.stringify({ brandb: { WECHAT_TOKEN: 'from-setting' } }) });
    expect(await readWorkspaceSecrets(config, 'brandb')).toEqual({ WECHAT_TOKEN: 'from-setting', WECHAT_APP_SECRET: 'file-secret' });
    await writeFile(file, JSON.stringify({ brandc: { FEISHU_APP_SECRET: 'added-later' } }));
    expect(await readWorkspaceSecrets(config, 'brandc')).toEqual({ FEISHU_APP_SECRET: 'added-later' });
    await writeFile(file, JSON.stringify({ brandb: { WECHAT_PASSWORD: 'x' } }));
    expect(() => loadConfig({ WORKSPACE_SECRETS_FILE: file })).toThrow(ConfigError);
    expect(() => loadConfig({ WORKSPACE_SECRETS: JSON.stringify({ brandb: { WECHAT_ENCODING_AES_KEY: 'short' } }) })).toThrow(/EncodingAESKey/);
  });
});
