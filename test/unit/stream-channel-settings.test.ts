import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.js';

/** The settings of the channels that dial out (DingTalk Stream, Feishu's long connection) and the replay window. */
describe('stream channel settings', () => {
  const feishu = { FEISHU_APP_ID: 'cli_a1b2c3d4e5f60718', FEISHU_APP_SECRET: 'secret', FEISHU_BOT_OPEN_ID: 'ou_bot' };

  it("Feishu's long connection needs no Verification Token, but an App ID the SDK accepts", () => {
    expect(loadConfig({ ...feishu, FEISHU_EVENT_MODE: 'long-connection' }).FEISHU_VERIFICATION_TOKEN).toBeUndefined();
    expect(() => loadConfig(feishu)).toThrow(/FEISHU_VERIFICATION_TOKEN/);
    expect(() => loadConfig({ ...feishu, FEISHU_EVENT_MODE: 'long-connection', FEISHU_APP_ID: 'my-app' })).toThrow(/cli_ and 16 hex digits/);
    expect(() => loadConfig({ ...feishu, FEISHU_EVENT_MODE: 'websocket' })).toThrow(ConfigError);
  });

  it('DingTalk needs its Client Secret; the gateway defaults to DingTalk and the replay window to 5 minutes', () => {
    expect(() => loadConfig({ DINGTALK_CLIENT_ID: 'dingabc' })).toThrow(/DINGTALK_CLIENT_SECRET/);
    const config = loadConfig({ DINGTALK_CLIENT_ID: 'dingabc', DINGTALK_CLIENT_SECRET: 'secret' });
    expect(config).toMatchObject({ DINGTALK_GATEWAY_BASE: 'https://api.dingtalk.com', CHANNEL_REPLAY_WINDOW_SECONDS: 300 });
    expect(() => loadConfig({ CHANNEL_REPLAY_WINDOW_SECONDS: '5' })).toThrow(ConfigError);
  });
});
