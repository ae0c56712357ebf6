import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DomainError } from '../errors.js';
import type { Logger } from '../log.js';

/**
 * Directory intake: `.eml` files dropped into a folder (by fetchmail, getmail, a mail server's pipe, or by hand)
 * are taken in like POST /v1/email, then moved to `processed/`; one that can never be taken in (empty, too large) goes to `failed/` with
 * the reason beside it. A file is first renamed to a name only this process uses, so several processes watching
 * one folder never take the same file twice. Polling rather than fs.watch: it works the same on network mounts.
 */
export class InboxWatcher {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private readonly claimTag = `.kefu-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

  constructor(
    private readonly dir: string,
    private readonly intake: (raw: Buffer) => Promise<unknown>,
    private readonly logger: Logger,
    private readonly pollMs: number,
    /**
     * A file changed this recently may still be being written (copied by hand, a pipe without write-then-rename):
     * taken now, a half-written mail was read as empty and moved to failed/. It is taken on a later scan.
     */
    private readonly settleMs = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  async start(): Promise<this> {
    await Promise.all(['processed', 'failed'].map((folder) => mkdir(path.join(this.dir, folder), { recursive: true })));
    const tick = () => {
      this.running = this.scan()
        .catch((error) => this.logger.warn({ err: error, dir: this.dir }, 'e-mail inbox scan failed'))
        .finally(() => {
          if (this.timer) this.timer = setTimeout(tick, this.pollMs);
        });
    };
    this.timer = setTimeout(tick, 0);
    return this;
  }

  /** Takes in every `.eml` file present now. */
  async scan(): Promise<number> {
    let taken = 0;
    for (const name of (await readdir(this.dir)).filter((file) => file.toLowerCase().endsWith('.eml')).sort()) {
      const file = path.join(this.dir, name);
      const changed = await stat(file).then(
        (info) => info.mtimeMs,
        () => undefined,
      );
      if (changed === undefined || this.now() - changed < this.settleMs) continue;
      const claimed = `${file}${this.claimTag}`;
      try {
        await rename(file, claimed);
      } catch {
        continue; // Another process took it.
      }
      try {
        await this.intake(await readFile(claimed));
        await rename(claimed, path.join(this.dir, 'processed', name));
        taken++;
      } catch (error) {
        // Redis or the queue unreachable (or anything unforeseen): the file goes back and is taken on a later scan. Only
        // a message that can never be taken in as it is (empty, too large) moves to failed/.
        if (!(error instanceof DomainError && !error.retryable)) {
          this.logger.warn({ err: error, file: name }, 'e-mail file not taken in yet; retrying on the next scan');
          await rename(claimed, file).catch(() => undefined);
          continue;
        }
        this.logger.warn({ err: error, file: name }, 'e-mail file could not be taken in; moved to failed/');
        await rename(claimed, path.join(this.dir, 'failed', name)).catch(() => undefined);
        await writeFile(path.join(this.dir, 'failed', `${name}.error.txt`), `${(error as Error).message}\n`).catch(() => undefined);
      }
    }
    return taken;
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
