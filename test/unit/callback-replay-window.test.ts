import { describe, expect, it } from 'vitest';
import { ReplayGuard } from '../../src/channels/replay-guard.js';
import { MemoryChannelState } from '../../src/state/channel-state.js';

/** The replay window on signed platform callbacks (src/channels/replay-guard.ts), on a clock the test moves. */
describe('callback replay window', () => {
  const setup = () => {
    let now = Date.UTC(2026, 11, 7, 12, 0, 0);
    const state = new MemoryChannelState(() => now);
    const guard = new ReplayGuard(state, 300, () => now);
    const seconds = () => String(Math.floor(now / 1000));
    return { guard, seconds, advance: (ms: number) => (now += ms) };
  };

  it('refuses a timestamp older or newer than the window, even on a first use', async () => {
    const { guard, seconds } = setup();
    const at = Number(seconds());
    expect(await guard.check('wechat', String(at - 301), 'n1', 'body')).toBe('stale');
    expect(await guard.check('wechat', String(at + 301), 'n2', 'body')).toBe('stale');
    expect(await guard.check('wechat', String(at - 299), 'n3', 'body')).toBe('ok');
    expect(await guard.check('wechat', '', 'n4', 'body')).toBe('stale');
    expect(await guard.check('wechat', '17e8', 'n5', 'body')).toBe('stale');
  });

  it('a nonce is taken once: the same nonce with another body is refused, the very same request again is a platform retry', async () => {
    const { guard, seconds } = setup();
    const timestamp = seconds();
    expect(await guard.check('wechat', timestamp, '263014780', '<xml>question</xml>')).toBe('ok');
    expect(await guard.check('wechat', timestamp, '263014780', '<xml>question</xml>')).toBe('ok');
    expect(await guard.check('wechat', timestamp, '263014780', '<xml>forged</xml>')).toBe('replayed');
    // Nonces are per platform.
    expect(await guard.check('wecom', timestamp, '263014780', '<xml>forged</xml>')).toBe('ok');
    expect(await guard.check('wechat', timestamp, '', 'x')).toBe('replayed');
  });

  it('a captured callback is refused once the window has passed, whatever its nonce', async () => {
    const { guard, seconds, advance } = setup();
    const timestamp = seconds();
    expect(await guard.check('feishu', timestamp, 'abc', '{}')).toBe('ok');
    advance(301_000);
    expect(await guard.check('feishu', timestamp, 'abc', '{}')).toBe('stale');
    expect(await guard.check('feishu', timestamp, 'fresh-nonce', '{}')).toBe('stale');
  });

  it('two replicas share the nonces (one state)', async () => {
    const state = new MemoryChannelState();
    const replicaA = new ReplayGuard(state, 300);
    const replicaB = new ReplayGuard(state, 300);
    const timestamp = String(Math.floor(Date.now() / 1000));
    expect(await replicaA.check('wechat', timestamp, 'shared', 'one')).toBe('ok');
    expect(await replicaB.check('wechat', timestamp, 'shared', 'two')).toBe('replayed');
  });
});
