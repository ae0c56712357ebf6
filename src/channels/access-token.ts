import { randomUUID } from 'node:crypto';
import { type ChannelState, sleep } from '../state/channel-state.js';

export interface FetchedToken {
  token: string;
  expiresInSeconds: number;
}

/**
 * A platform access token (WeChat, WeCom) cached in shared state for every replica. Fetching a new WeChat
 * token invalidates the previous one within minutes, so replicas must not each fetch their own: a refresh
 * takes a lock, and a caller who lost the race reads what the winner stored. After the platform rejects a
 * token as expired (42001) or invalid (40001, 40014), `renew(stale)` refreshes it once, however many
 * concurrent sends saw the same stale token.
 */
export class SharedAccessToken {
  private inflight?: Promise<string>;

  constructor(
    private readonly state: ChannelState,
    private readonly key: string,
    private readonly fetchToken: () => Promise<FetchedToken>,
    private readonly options: { onRefresh?: () => void; pollMs?: number; lockSeconds?: number; waitMs?: number } = {},
  ) {}

  async get(): Promise<string> {
    return (await this.state.get(this.key)) ?? this.renew(undefined);
  }

  /** A token other than `stale`: the one another caller already stored, or a new one fetched once. */
  renew(stale: string | undefined): Promise<string> {
    this.inflight ??= this.refresh(stale).finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async refresh(stale: string | undefined): Promise<string> {
    const lockKey = `${this.key}:refreshing`;
    const deadline = Date.now() + (this.options.waitMs ?? 15_000);
    for (;;) {
      const current = await this.state.get(this.key);
      if (current && current !== stale) return current;
      const owner = randomUUID();
      if (await this.state.claim(lockKey, owner, this.options.lockSeconds ?? 10)) {
        try {
          const again = await this.state.get(this.key);
          if (again && again !== stale) return again;
          const fetched = await this.fetchToken();
          // Stored until five minutes before the platform's expiry (7200 s), so no send races the deadline.
          await this.state.set(this.key, fetched.token, Math.max(30, fetched.expiresInSeconds - 300));
          this.options.onRefresh?.();
          return fetched.token;
        } finally {
          await this.state.release(lockKey, owner).catch(() => false);
        }
      }
      if (Date.now() > deadline) throw new Error('timed out waiting for another replica to refresh the access token');
      await sleep(this.options.pollMs ?? 100);
    }
  }
}
