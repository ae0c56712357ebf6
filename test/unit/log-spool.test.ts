import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';

// The spool's append, slowed between opening the file and writing to it: the window in which a replay that
// sets the file aside used to run, so the write landed in a file already read and then deleted.
const appendGate = vi.hoisted(() => ({ hold: false, opened: () => {}, release: Promise.resolve() }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...fs,
    appendFile: async (file: string, data: string) => {
      const handle = await fs.open(file, 'a');
      try {
        if (appendGate.hold) {
          appendGate.opened();
          await appendGate.release;
        }
        await handle.write(data);
      } finally {
        await handle.close();
      }
    },
  };
});

const { LogSpool } = await import('../../src/state/spool.js');
const { MemoryState } = await import('../../src/state/shared-state.js');

let dir: string | undefined;
afterEach(async () => {
  appendGate.hold = false;
  if (dir) await rm(dir, { recursive: true, force: true });
});

const comments = async (state: InstanceType<typeof MemoryState>) => (await state.readLog('feedback', 1000)).map(({ entry }) => entry.comment);

describe('the spool of log entries written while Redis is down', () => {
  it('loses no entry whose append is under way when a replay sets the file aside', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-spool-'));
    const spool = new LogSpool(dir);
    const redis = new MemoryState();
    await spool.add('feedback', { comment: 'before' }, 1000);

    let opened!: () => void;
    const isOpen = new Promise<void>((resolve) => (opened = resolve));
    let release!: () => void;
    Object.assign(appendGate, { hold: true, opened, release: new Promise<void>((resolve) => (release = resolve)) });
    const adding = spool.add('feedback', { comment: 'during' }, 1000);
    await isOpen; // the file is open for the append, nothing written yet
    const replaying = spool.replay(redis);
    await new Promise((resolve) => setTimeout(resolve, 50)); // the old code renamed, read and deleted here
    release();
    await adding;
    await replaying;
    await spool.replay(redis);

    expect(await comments(redis)).toEqual(['before', 'during']);
    expect(await readdir(dir)).toEqual([]);
  });

  it('replays each entry once however often replays and appends interleave', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-spool-'));
    const spool = new LogSpool(dir);
    const redis = new MemoryState();
    let running = true;
    const replayer = (async () => {
      while (running) await spool.replay(redis);
    })();
    let next = 0;
    const writer = async () => {
      while (next < 400) await spool.add('feedback', { comment: `c${next++}` }, 1000);
    };
    await Promise.all([1, 2, 3, 4].map(writer));
    running = false;
    await replayer;
    await spool.replay(redis);

    expect(await comments(redis)).toHaveLength(400);
    expect(new Set(await comments(redis))).toEqual(new Set(Array.from({ length: 400 }, (_, index) => `c${index}`)));
  });
});
