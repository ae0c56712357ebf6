import { randomUUID } from 'node:crypto';
import { type ChannelState, sleep } from '../state/channel-state.js';

/**
 * "The same platform message is answered once", across replicas and while its answer is still running.
 *
 * Per message id, in shared state:
 * - `run`: claimed (set-if-absent) by the first arrival, which starts the answer; a retry finds it taken and
 *   only waits. Its lease is the longest an answer may take, so a replica that died mid-answer does not block
 *   the id for the whole dedup period.
 * - `result`: the formatted answer, kept `keepSeconds` (WeChat retries within seconds, WeCom may redeliver later).
 * - `delivery`: claimed by whoever sends the answer, once: a callback response still inside the platform's
 *   window ("passive"), or the customer-service API after every window has closed ("push"). Exactly one wins.
 * - `window`: the end of the last callback response that might still carry the answer; push waits for it.
 */
export class MessageOnce {
  private readonly waiters = new Map<string, Set<() => void>>();

  constructor(
    private readonly state: ChannelState,
    private readonly options: { leaseSeconds: number; keepSeconds: number; pollMs?: number },
  ) {}

  private key(id: string, part: string) {
    return `msg:${id}:${part}`;
  }

  /** True for the first arrival of this message id (it answers); false for a retry or a duplicate. */
  async start(id: string): Promise<boolean> {
    if ((await this.state.get(this.key(id, 'result'))) !== undefined) return false;
    return this.state.claim(this.key(id, 'run'), randomUUID(), this.options.leaseSeconds);
  }

  async finish<T>(id: string, result: T): Promise<void> {
    await this.state.set(this.key(id, 'result'), JSON.stringify(result), this.options.keepSeconds);
    for (const wake of this.waiters.get(id) ?? []) wake();
  }

  async result<T>(id: string): Promise<T | undefined> {
    const text = await this.state.get(this.key(id, 'result'));
    return text === undefined ? undefined : (JSON.parse(text) as T);
  }

  /**
   * The result once it is there, or undefined at `deadline` (epoch ms). Woken at once by a finish in this
   * process; a finish on another replica is seen by polling.
   */
  async waitResult<T>(id: string, deadline: number): Promise<T | undefined> {
    for (;;) {
      const found = await this.result<T>(id);
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const set = this.waiters.get(id) ?? new Set();
        this.waiters.set(id, set);
        const wake = () => {
          clearTimeout(timer);
          set.delete(wake);
          if (!set.size) this.waiters.delete(id);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(left, this.options.pollMs ?? 100));
        set.add(wake);
      });
    }
  }

  /** Records that a callback response may carry the answer until `until` (epoch ms). */
  async openWindow(id: string, until: number): Promise<void> {
    const current = Number((await this.state.get(this.key(id, 'window'))) ?? 0);
    if (until > current) await this.state.set(this.key(id, 'window'), String(until), this.options.keepSeconds);
  }

  /** Waits until no callback response can carry the answer any more (plus `marginMs`). */
  async windowsClosed(id: string, marginMs: number): Promise<void> {
    for (;;) {
      const until = Number((await this.state.get(this.key(id, 'window'))) ?? 0) + marginMs;
      const left = until - Date.now();
      if (left <= 0) return;
      await sleep(left);
    }
  }

  /** True for the one caller that delivers this message's answer. */
  claimDelivery(id: string, how: 'passive' | 'push'): Promise<boolean> {
    return this.state.claim(this.key(id, 'delivery'), how, this.options.keepSeconds);
  }

  async delivery(id: string): Promise<string | undefined> {
    return this.state.get(this.key(id, 'delivery'));
  }
}
