import type { Logger } from '../log.js';

/**
 * Refusals under a flood, logged in aggregate: one line per workspace and code each interval, with how many, instead
 * of one line per refused request. A flood of 700 requests a second otherwise writes 700 log lines a second, which
 * costs the process (and its log pipeline) more than refusing them; the `shed` metric still counts every one.
 */
export class ShedLog {
  private readonly counts = new Map<string, { workspace: string; code: string; count: number }>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs = 1000,
  ) {}

  /** Counts one refusal; the count is logged at the end of the interval it falls in. */
  note(workspace: string, code: string): void {
    const key = `${workspace}\u0000${code}`;
    const entry = this.counts.get(key);
    if (entry) entry.count++;
    else this.counts.set(key, { workspace, code, count: 1 });
    this.timer ??= setTimeout(() => this.flush(), this.intervalMs).unref();
  }

  /** Logs what was counted since the last line (at close, so the last second's refusals are not lost). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const { workspace, code, count } of this.counts.values()) this.logger.warn({ workspace, code, count, intervalMs: this.intervalMs }, 'requests shed');
    this.counts.clear();
  }
}
