import { createHash } from 'node:crypto';
import type { ChannelState } from '../state/channel-state.js';

export type ReplayVerdict = 'ok' | 'stale' | 'replayed';

/**
 * Refuses a signed callback that was recorded and sent again. A platform signs `timestamp` and `nonce` with the
 * shared secret (WeChat's `signature`, WeCom's and WeChat safe mode's `msg_signature`, Feishu's
 * `X-Lark-Signature`), so a valid signature says nothing about when: without this check a captured callback
 * works forever. Two rules, after the signature has been checked:
 *
 * - the timestamp (seconds) must be within `windowSeconds` of now, either way (clock skew);
 * - a nonce is taken once within the window, across replicas (a set-if-absent claim in shared state). The same
 *   nonce again with the *same* body is let through: that is the platform's own retry (WeChat resends the very
 *   request up to three times, and the message-once claim answers it once), whereas the same nonce with another
 *   body is a forgery (a WeChat plaintext signature does not cover the body).
 */
export class ReplayGuard {
  constructor(
    private readonly state: ChannelState,
    private readonly windowSeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  async check(channel: string, timestamp: string, nonce: string, body: string): Promise<ReplayVerdict> {
    const seconds = /^\d{1,12}$/.test(timestamp) ? Number(timestamp) : Number.NaN;
    if (!Number.isFinite(seconds) || Math.abs(this.now() / 1000 - seconds) > this.windowSeconds) return 'stale';
    if (!nonce) return 'replayed';
    const digest = createHash('sha256').update(body).digest('base64url');
    const key = `replay:${channel}:${createHash('sha256').update(`${timestamp}\u0000${nonce}`).digest('base64url')}`;
    // Kept twice the window: a request stamped at the window's far edge is still refused when replayed.
    if (await this.state.claim(key, digest, 2 * this.windowSeconds)) return 'ok';
    return (await this.state.get(key)) === digest ? 'ok' : 'replayed';
  }
}
