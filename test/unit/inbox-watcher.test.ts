import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InboxWatcher } from '../../src/email/inbox-watcher.js';
import { AppError } from '../../src/http/http-error.js';
import { createLogger } from '../../src/log.js';

let dir: string;
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the e-mail inbox folder', () => {
  it('leaves a file that is still being written for a later scan, instead of failing it as empty', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-inbox-'));
    const taken: string[] = [];
    const intake = async (raw: Buffer) => {
      if (!raw.length) throw new AppError(400, 'empty_message', 'The message is empty');
      taken.push(raw.toString());
    };
    let clock = Date.now();
    const watcher = new InboxWatcher(dir, intake, createLogger('silent'), 60_000, 1000, () => clock);
    await watcher.start();
    await watcher.stop();
    // A copy has begun: the file exists and is still empty.
    const file = path.join(dir, 'dropped.eml');
    await writeFile(file, '');
    expect(await watcher.scan()).toBe(0);
    expect(await readdir(path.join(dir, 'failed'))).toEqual([]);
    // The copy ends; a moment later the file has settled and is taken in.
    await writeFile(file, 'Subject: hi\r\n\r\nCan I swim with it?\r\n');
    const written = new Date();
    await utimes(file, written, written);
    clock = written.getTime() + 1500;
    expect(await watcher.scan()).toBe(1);
    expect(taken).toHaveLength(1);
    expect(await readdir(path.join(dir, 'processed'))).toEqual(['dropped.eml']);
  });
});
