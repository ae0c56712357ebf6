import { randomUUID } from 'node:crypto';
import { appendFile, type FileHandle, mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { keptLinesFromStart, linesFromEnd } from './log-file.js';
import { entryMatches, idTime, type LogRetention, retentionSeconds } from './log-retention.js';

/**
 * The shared-state port: the few primitives sessions, rate limits, the answer cache and feedback need.
 * MemoryState serves one process; RedisState makes several replicas behave as one service.
 */
export interface SharedState {
  readonly kind: 'memory' | 'redis';
  /** True while a resilient wrapper answers from process memory because Redis is unreachable. */
  readonly isDegraded?: boolean;
  getJson<T>(key: string): Promise<T | undefined>;
  setJson(key: string, value: unknown, ttlSeconds: number): Promise<void>;
  delete(key: string): Promise<void>;
  /** Appends to a list, keeps only the last `maxLength` items, and (re)sets the list's TTL. */
  pushList(key: string, value: unknown, maxLength: number, ttlSeconds: number): Promise<void>;
  readList<T>(key: string): Promise<T[]>;
  /**
   * Token bucket: takes one token from the bucket at `key` (capacity `burst`, refilled at `perSecond`).
   * Atomic across replicas in the Redis implementation.
   */
  takeToken(key: string, burst: number, perSecond: number): Promise<{ allowed: boolean; retryAfterSeconds: number; remaining: number }>;
  /** Appends to a durable, ordered log (a Redis stream); returns the entry id. */
  appendLog(name: string, entry: Record<string, unknown>, maxLength: number): Promise<string>;
  /** appendLog at most once per `onceId`, atomically: replaying a spool twice adds nothing the second time. */
  appendLogOnce(name: string, entry: Record<string, unknown>, maxLength: number, onceId: string): Promise<string | undefined>;
  readLog(name: string, count: number): Promise<{ id: string; entry: Record<string, unknown> }[]>;
  /**
   * The newest entry of a log whose fields equal `match` (`{ id }`: a record by its id), among its last `count`.
   * Read newest first, stopping at the match, so a recent record costs a few entries, not the whole log.
   */
  findLogEntry(name: string, match: Record<string, string>, count: number): Promise<{ id: string; entry: Record<string, unknown> } | undefined>;
  ping(): Promise<boolean>;
  close(): Promise<void>;
  /** Deletes every key, list, bucket and log whose name starts with `prefix` (a workspace deleted); returns how many. */
  deletePrefix?(prefix: string): Promise<number>;
}

/**
 * In-process state: the default for a single process. Expiry is checked on read. With `logDir`, logs
 * (feedback, unanswered questions) are appended to `<logDir>/<name>.jsonl`, so they survive restarts.
 */
export class MemoryState implements SharedState {
  readonly kind = 'memory' as const;
  private readonly values = new Map<string, { value: unknown; expiresAt: number }>();
  private readonly buckets = new Map<string, { tokens: number; updatedAt: number }>();
  private readonly logs = new Map<string, { id: string; entry: Record<string, unknown> }[]>();
  private sequence = 0;
  private writes = 0;

  private readonly appends = new Map<string, number>();
  /** Per log file: the file's operations in order (an append never lands in a file a compaction is replacing). */
  private readonly fileQueues = new Map<string, Promise<unknown>>();
  private readonly compacting = new Set<string>();
  /** Compactions running in the background: close() waits for them, so a shutdown leaves no half-written file. */
  private readonly background = new Set<Promise<void>>();
  /** Log files whose end was checked for a line torn by a crash (once per file and process). */
  private readonly checkedFiles = new Set<string>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly logDir?: string,
    private readonly logRetention?: LogRetention,
  ) {}

  private oldestKept(name: string): number {
    return this.now() - retentionSeconds(this.logRetention, name) * 1000;
  }

  private live(key: string) {
    const item = this.values.get(key);
    if (item && item.expiresAt <= this.now()) {
      this.values.delete(key);
      return undefined;
    }
    return item;
  }

  async getJson<T>(key: string) {
    return structuredClone(this.live(key)?.value) as T | undefined;
  }

  async setJson(key: string, value: unknown, ttlSeconds: number) {
    this.sweep();
    this.values.set(key, { value: structuredClone(value), expiresAt: this.now() + ttlSeconds * 1000 });
  }

  async delete(key: string) {
    this.values.delete(key);
  }

  async pushList(key: string, value: unknown, maxLength: number, ttlSeconds: number) {
    this.sweep();
    const list = ((this.live(key)?.value as unknown[]) ?? []).concat([structuredClone(value)]).slice(-maxLength);
    this.values.set(key, { value: list, expiresAt: this.now() + ttlSeconds * 1000 });
  }

  async readList<T>(key: string) {
    return structuredClone((this.live(key)?.value as T[]) ?? []);
  }

  async takeToken(key: string, burst: number, perSecond: number) {
    const now = this.now() / 1000;
    const bucket = this.buckets.get(key) ?? { tokens: burst, updatedAt: now };
    bucket.tokens = Math.min(burst, bucket.tokens + (now - bucket.updatedAt) * perSecond);
    bucket.updatedAt = now;
    const allowed = bucket.tokens >= 1;
    if (allowed) bucket.tokens -= 1;
    this.buckets.set(key, bucket);
    return { allowed, remaining: Math.floor(bucket.tokens), retryAfterSeconds: allowed ? 0 : Math.ceil((1 - bucket.tokens) / perSecond) };
  }

  async appendLog(name: string, entry: Record<string, unknown>, maxLength: number) {
    const id = `${this.now()}-${this.sequence++}`;
    if (this.logDir) {
      const file = path.join(this.logDir, `${name}.jsonl`);
      await this.inOrder(file, async () => {
        await mkdir(this.logDir!, { recursive: true });
        // A process that died mid-append left half a line: the first append of this one starts on a new line,
        // so it is not glued to the torn one (which reads skip and compaction drops).
        const torn = !this.checkedFiles.has(file) && (await endsMidLine(file));
        this.checkedFiles.add(file);
        await appendFile(file, (torn ? '\n' : '') + JSON.stringify({ id, entry }) + '\n');
      });
      // Now and then (at the first append, then every 500), rewrite the file without what is past retention or
      // beyond maxLength. In the background: the answer that logged a question does not wait for it.
      const appends = (this.appends.get(name) ?? 0) + 1;
      this.appends.set(name, appends);
      if (appends === 1 || appends % 500 === 0) {
        const running = this.compact(name, file, maxLength).catch(() => undefined);
        this.background.add(running);
        void running.finally(() => this.background.delete(running));
      }
      return id;
    }
    const oldest = this.oldestKept(name);
    const log = (this.logs.get(name) ?? []).filter((item) => idTime(item.id) >= oldest);
    log.push({ id, entry: structuredClone(entry) });
    this.logs.set(name, log.slice(-maxLength));
    return id;
  }

  /** Runs `task` after every operation queued before it on this file. */
  private inOrder<T>(file: string, task: () => Promise<T>): Promise<T> {
    const run = (this.fileQueues.get(file) ?? Promise.resolve()).then(task, task);
    this.fileQueues.set(file, run.catch(() => undefined));
    return run;
  }

  /**
   * Reads and filters the log while appends go on, then, in the file's queue, adds what was appended since the
   * read and swaps the file in (unless the file was deleted and written again meanwhile: the new one stands):
   * nothing appended meanwhile is lost, and appends wait only for the swap. One
   * compaction per log at a time (two sharing one temporary file failed a request with ENOENT: bench:ask at 100k).
   */
  private async compact(name: string, file: string, maxLength: number): Promise<void> {
    if (this.compacting.has(name)) return;
    this.compacting.add(name);
    // Its own name: another process (or state) compacting the same log never shares it.
    const temporary = `${file}.${randomUUID()}.compacting`;
    let reading: FileHandle | undefined;
    try {
      // Read a slice at a time (src/state/log-file.ts): the loop serves requests between slices. Lines are kept as
      // they are, judged by the id at their start: a log of many MB is not parsed and re-serialised.
      const oldest = this.oldestKept(name);
      const keep = (line: string) => {
        const id = /^\{"id":"([^"]+)"/.exec(line)?.[1] ?? parseLine(line)?.id;
        return id !== undefined && idTime(id) >= oldest;
      };
      // Up to the last complete line; an append in progress is copied with the tail below. Held open until the swap:
      // its inode cannot be reused meanwhile, so the swap can tell whether the file is still the one read.
      reading = await open(file, 'r').catch(() => undefined);
      const { lines: kept, readBytes } = reading ? await keptLinesFromStart(reading, keep, maxLength) : { lines: [], readBytes: 0 };
      await withFile(temporary, 'w', async (out) => {
        for (let start = 0; start < kept.length; start += WRITE_LINES) await out.write(`${kept.slice(start, start + WRITE_LINES).join('\n')}\n`);
      });
      const read = reading && (await reading.stat());
      await this.inOrder(file, async () => {
        const handle = await open(file, 'r');
        try {
          const { size, ino, dev } = await handle.stat();
          // Deleted (deletePrefix: a workspace deleted) and written again since the read: what was read is gone and
          // must not come back over what was written since.
          if (read && (read.ino !== ino || read.dev !== dev)) {
            await rm(temporary, { force: true });
            return;
          }
          const tail = Buffer.alloc(Math.max(0, size - readBytes));
          if (tail.length) await handle.read(tail, 0, tail.length, readBytes);
          if (tail.length) await appendFile(temporary, tail);
        } finally {
          await handle.close();
        }
        await rename(temporary, file);
      });
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    } finally {
      await reading?.close();
      this.compacting.delete(name);
    }
  }

  private readonly appendedOnce = new Set<string>();

  async appendLogOnce(name: string, entry: Record<string, unknown>, maxLength: number, onceId: string) {
    if (this.appendedOnce.has(onceId)) return undefined;
    this.appendedOnce.add(onceId);
    return this.appendLog(name, entry, maxLength);
  }

  async readLog(name: string, count: number) {
    if (this.logDir) {
      const items: LogLine[] = [];
      if (count > 0)
        for await (const item of this.fileLogFromEnd(name)) {
          items.push(item);
          if (items.length >= count) break;
        }
      return items.reverse();
    }
    const oldest = this.oldestKept(name);
    return structuredClone((this.logs.get(name) ?? []).filter((item) => idTime(item.id) >= oldest).slice(-count));
  }

  async findLogEntry(name: string, match: Record<string, string>, count: number) {
    // Both are walked back from their end, stopping at the match: a recent record costs a slice of the file.
    if (this.logDir) {
      let seen = 0;
      for await (const item of this.fileLogFromEnd(name)) {
        if (++seen > count) break;
        if (entryMatches(item.entry, match)) return item;
      }
      return undefined;
    }
    const items = (this.logs.get(name) ?? []).slice(-count);
    const oldest = this.oldestKept(name);
    for (let index = items.length - 1; index >= 0 && idTime(items[index].id) >= oldest; index--) {
      if (entryMatches(items[index].entry, match)) return structuredClone(items[index]);
    }
    return undefined;
  }

  /**
   * The file log's entries within retention, newest first, read from the file's end a slice at a time: the last
   * few entries of a log of many MB cost a slice or two, and the loop serves requests between slices.
   */
  private async *fileLogFromEnd(name: string): AsyncGenerator<LogLine> {
    const file = path.join(this.logDir!, `${name}.jsonl`);
    // Opened and measured in the file's queue, so the size never takes half of an append in progress. Read from the
    // same handle afterwards: a compaction renaming its new file over this one meanwhile leaves it readable as it was.
    const opened = await this.inOrder(file, async () => {
      const handle = await open(file, 'r').catch(() => undefined);
      if (!handle) return undefined;
      try {
        return { handle, size: (await handle.stat()).size };
      } catch (error) {
        await handle.close();
        throw error;
      }
    });
    if (!opened) return;
    const oldest = this.oldestKept(name);
    try {
      for await (const line of linesFromEnd(opened.handle, opened.size)) {
        const item = parseLine(line);
        if (item !== undefined && idTime(item.id) >= oldest) yield item;
      }
    } finally {
      await opened.handle.close();
    }
  }

  async ping() {
    return true;
  }

  async deletePrefix(prefix: string) {
    let deleted = 0;
    for (const map of [this.values, this.buckets, this.logs] as Map<string, unknown>[]) {
      for (const key of [...map.keys()]) if (key.startsWith(prefix) && map.delete(key)) deleted++;
    }
    if (this.logDir) {
      const files = await readdir(this.logDir).catch(() => [] as string[]);
      for (const file of files.filter((name) => name.startsWith(prefix) && name.endsWith('.jsonl'))) {
        await this.inOrder(path.join(this.logDir, file), () => rm(path.join(this.logDir!, file), { force: true }));
        deleted++;
      }
    }
    return deleted;
  }

  async close() {
    await Promise.all([...this.background]);
  }

  /** Bounds memory: every 1000 writes, drop expired entries, and forget buckets when there are very many. */
  private sweep() {
    if (++this.writes % 1000 !== 0) return;
    const now = this.now();
    for (const [key, item] of this.values) if (item.expiresAt <= now) this.values.delete(key);
    if (this.buckets.size > 100_000) this.buckets.clear();
  }
}

type LogLine = { id: string; entry: Record<string, unknown> };

/** Lines a compaction writes at once: its new file is written in pieces, never as one string of the whole log. */
const WRITE_LINES = 1000;

/** `use` with the file open, closed after. */
async function withFile<T>(file: string, flags: 'w', use: (handle: FileHandle) => Promise<T>): Promise<T> {
  const handle = await open(file, flags);
  try {
    return await use(handle);
  } finally {
    await handle.close();
  }
}

/** Whether the file's last byte is not a newline (false for a missing or empty file). */
async function endsMidLine(file: string): Promise<boolean> {
  const handle = await open(file, 'r').catch(() => undefined);
  if (!handle) return false;
  try {
    const { size } = await handle.stat();
    if (size === 0) return false;
    const last = Buffer.alloc(1);
    await handle.read(last, 0, 1, size - 1);
    return last[0] !== 0x0a;
  } finally {
    await handle.close();
  }
}

/** A log line, or undefined for one a crash cut short mid-append: it is skipped, and the next compaction drops it. */
function parseLine(line: string): LogLine | undefined {
  if (!line) return undefined;
  try {
    return JSON.parse(line) as LogLine;
  } catch {
    return undefined;
  }
}
