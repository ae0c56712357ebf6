import { afterAll, describe, expect, it } from 'vitest';
import { RedisState } from '../../src/state/redis-state.js';

/**
 * Logs kept "forever" (API keys, workspaces: 100 years) on Redis: their trimming point lies before 1970, which must
 * not become a negative stream id. It did, and every exactly-once append to them (a key revoked, as deleting a
 * workspace does) failed and sent the replica into its degraded, memory-only mode.
 */
const CENTURY = 100 * 365 * 86_400;
const state = RedisState.connect('redis://127.0.0.1:6379', { prefix: `kefu-long-retention-${process.pid}-${Date.now()}:`, logRetention: { keys: CENTURY } });
afterAll(async () => {
  await state.deletePrefix?.('');
  await state.close();
});

describe('a log kept for a century on Redis', () => {
  it('takes appends, exactly-once appends included', async () => {
    await state.ready(5000);
    await state.appendLog('keys', { action: 'create', id: 'a' }, 1000);
    expect(await state.appendLogOnce('keys', { action: 'revoke', id: 'a' }, 1000, `once-${Date.now()}`)).toBeTruthy();
    expect((await state.readLog('keys', 10)).map(({ entry }) => entry.action)).toEqual(['create', 'revoke']);
  });
});
