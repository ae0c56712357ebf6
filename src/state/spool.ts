import { randomUUID } from 'node:crypto';
import { appendFile, mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { SharedState } from './shared-state.js';

interface SpoolLine {
  onceId: string;
  name: string;
  entry: Record<string, unknown>;
  maxLength: number;
}

/**
 * A durable local spool for log entries (feedback, unanswered questions) that arrive while Redis is down.
 * Each process appends to its own file; on recovery the file is renamed aside (new entries start a new
 * file), replayed with append-once semantics, and deleted. A replay cut short by a crash is simply run
 * again: entries already in Redis are skipped by their id. Files of processes that died are replayed too.
 */
export class LogSpool {
  private replaying?: Promise<number>;
  /**
   * Appends to this process's file and the rename that sets it aside run one after the other. An append
   * opens the file, then writes: had the rename and the replay's read fallen between the two, the entry
   * would have been written into the set-aside file after it was read, and deleted with it.
   */
  private fileTurn: Promise<unknown> = Promise.resolve();

  constructor(private readonly dir: string) {}

  private get ownFile(): string {
    return path.join(this.dir, `spool-${process.pid}.jsonl`);
  }

  async add(name: string, entry: Record<string, unknown>, maxLength: number, onceId: string = randomUUID()): Promise<string> {
    const line = JSON.stringify({ onceId, name, entry, maxLength } satisfies SpoolLine) + '\n';
    await this.inTurn(async () => {
      await mkdir(this.dir, { recursive: true });
      await appendFile(this.ownFile, line);
    });
    return `spooled-${onceId}`;
  }

  private inTurn<T>(step: () => Promise<T>): Promise<T> {
    const result = this.fileTurn.then(step);
    this.fileTurn = result.catch(() => undefined);
    return result;
  }

  /** Replays every spool this process may take; returns how many entries were appended. One replay at a time. */
  replay(target: SharedState): Promise<number> {
    this.replaying ??= this.replayAll(target).finally(() => (this.replaying = undefined));
    return this.replaying;
  }

  private async replayAll(target: SharedState): Promise<number> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    let appended = 0;
    for (const name of names) {
      const match = /^spool-(\d+)\.jsonl(?:\.replaying-\d+)?$/.exec(name);
      if (!match) continue;
      const pid = Number(match[1]);
      if (pid !== process.pid && isAlive(pid)) continue;
      let file = path.join(this.dir, name);
      if (!name.includes('.replaying-')) {
        const aside = `${file}.replaying-${Date.now()}`;
        if (pid === process.pid) await this.inTurn(() => rename(file, aside));
        else await rename(file, aside);
        file = aside;
      }
      const lines = (await readFile(file, 'utf8')).split('\n').filter(Boolean);
      for (const line of lines) {
        let parsed: SpoolLine;
        try {
          parsed = JSON.parse(line) as SpoolLine;
        } catch {
          continue; // a line cut by a crash mid-write
        }
        if (await target.appendLogOnce(parsed.name, parsed.entry, parsed.maxLength, parsed.onceId)) appended++;
      }
      await rm(file, { force: true });
    }
    return appended;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
