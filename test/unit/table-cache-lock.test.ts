import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isStale, lockCache } from '../support/table-cache.js';

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
});
