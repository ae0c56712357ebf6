import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isStale, lockCache } from '../support/table-cache.js';

/** A read of a lock's pid file can be held after it read the file, as a slow disk or a busy machine holds it. */
const held = vi.hoisted(() => ({ next: undefined as Promise<void> | undefined }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...actual,
    readFile: (async (...args: Parameters<typeof actual.readFile>) => {
      const gate = String(args[0]).endsWith(`${path.sep}pid`) ? held.next : undefined;
      held.next = undefined;
      const content = await actual.readFile(...args);
      await gate;
      return content;
    }) as typeof actual.readFile,
  };
});

/**
 * The lock that lets one test file at a time ingest into the run's table cache (test/support/table-cache.ts). A lock
 * left without a pid (its maker killed between the mkdir and the pid's write) made every later file wait the whole
 * minute for nobody.
 */
describe('the table cache’s ingestion lock', () => {
  let root: string;
  afterEach(async () => rm(root, { recursive: true, force: true }));

  const leftLock = async (ageSeconds: number, pid?: number) => {
    root = await mkdtemp(path.join(os.tmpdir(), 'kefu-table-lock-'));
    const lock = path.join(root, 'ingesting.lock');
    await mkdir(lock);
    if (pid !== undefined) await writeFile(path.join(lock, 'pid'), String(pid));
    const made = new Date(Date.now() - ageSeconds * 1000);
    await utimes(lock, made, made);
    return lock;
  };

  it('takes over a lock without a pid made a while ago, and releases its own', async () => {
    const lock = await leftLock(30);
    const release = await lockCache(root);
    expect(await readFile(path.join(lock, 'pid'), 'utf8')).toBe(String(process.pid));
    await release();
    await expect(stat(lock)).rejects.toThrow();
  });

  it('tells a stale lock from a held one: a fresh lock without a pid (its pid about to be written) and a live owner’s are held', async () => {
    expect(await isStale(await leftLock(0))).toBe(false);
    await rm(root, { recursive: true, force: true });
    expect(await isStale(await leftLock(30, process.pid))).toBe(false);
    await rm(root, { recursive: true, force: true });
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    expect(await isStale(await leftLock(0, dead))).toBe(true);
    await rm(root, { recursive: true, force: true });
    expect(await isStale(await leftLock(30))).toBe(true);
  });

  it('is held by one contender at a time when two take over the same stale lock: the slower one does not remove the lock the faster one took', async () => {
    await leftLock(30, spawnSync(process.execPath, ['-e', '']).pid!);
    // The slower contender reads the dead owner's pid, and judges the lock stale, only after the faster one took it over.
    let tookOver!: () => void;
    held.next = new Promise<void>((resolve) => (tookOver = resolve));
    let holding = 0;
    let most = 0;
    const hold = async (release: () => Promise<void>) => {
      most = Math.max(most, ++holding);
      await new Promise((resolve) => setTimeout(resolve, 300));
      holding--;
      await release();
    };
    const slower = lockCache(root).then(hold);
    const faster = await lockCache(root);
    tookOver();
    await Promise.all([slower, hold(faster)]);
    expect(most).toBe(1);
  });
});
