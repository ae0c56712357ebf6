import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InboxWatcher } from '../../src/email/inbox-watcher.js';
import { invalid, unavailable } from '../../src/errors.js';
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
      if (!raw.length) throw invalid('empty_message', 'The message is empty');
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

  it('moves a message that can never be taken in to failed/, and puts one back while the queue is down', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-inbox-'));
    let queueDown = true;
    const intake = async (raw: Buffer) => {
      if (raw.toString().includes('huge')) throw invalid('message_too_large', 'over the limit');
      if (queueDown) throw unavailable('email_unavailable', 'queue down');
    };
    let clock = Date.now();
    const watcher = new InboxWatcher(dir, intake, createLogger('silent'), 60_000, 1000, () => clock);
    await watcher.start();
    await watcher.stop();
    const settled = new Date(Date.now() - 10_000);
    for (const [name, text] of [
      ['huge.eml', 'Subject: huge\r\n\r\nx\r\n'],
      ['fine.eml', 'Subject: hi\r\n\r\nCan I swim?\r\n'],
    ]) {
      await writeFile(path.join(dir, name), text);
      await utimes(path.join(dir, name), settled, settled);
    }
    clock = Date.now();
    expect(await watcher.scan()).toBe(0);
    // The rejected message is kept with its reason; the one that met a queue outage waits in the inbox.
    expect((await readdir(path.join(dir, 'failed'))).sort()).toEqual(['huge.eml', 'huge.eml.error.txt']);
    expect(await readdir(dir)).toContain('fine.eml');
    queueDown = false;
    expect(await watcher.scan()).toBe(1);
    expect(await readdir(path.join(dir, 'processed'))).toEqual(['fine.eml']);
  });
});
