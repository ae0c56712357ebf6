import { appendFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryState } from '../../src/state/shared-state.js';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const settle = async (file: string, lines: number) => {
  // Compactions run in the background; wait until the file holds what it should and no temporary file is left.
  for (let attempt = 0; attempt < 200; attempt++) {
    const text = await readFile(file, 'utf8').catch(() => '');
    const leftovers = (await readdir(path.dirname(file))).filter((name) => name !== path.basename(file));
    if (text.split('\n').filter(Boolean).length === lines && leftovers.length === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

describe('the in-process state’s file logs (unanswered questions, feedback)', () => {
  it('keep every entry, in order, when many answers log at once across compactions', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-file-log-'));
    const state = new MemoryState(Date.now, dir);
    // 1,200 appends cross the compactions at the 1st, 500th and 1,000th append. Before, the 500th and 501st both
    // compacted through one temporary file (one append failed with ENOENT) and appends during a rewrite were lost.
    const ids = await Promise.all(Array.from({ length: 1200 }, (_, index) => state.appendLog('unanswered', { index }, 10_000)));
    const file = path.join(dir, 'unanswered.jsonl');
    await settle(file, 1200);
    const log = await state.readLog('unanswered', 10_000);
    expect(log.map((item) => item.entry.index)).toEqual(Array.from({ length: 1200 }, (_, index) => index));
    expect(log.map((item) => item.id)).toEqual(ids);
    expect((await readdir(dir)).sort()).toEqual(['unanswered.jsonl']);
  });

  it('drop what is past the length bound when compacting, keeping the newest', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-file-log-'));
    const state = new MemoryState(Date.now, dir);
    for (let index = 0; index < 500; index++) await state.appendLog('feedback', { index }, 100);
    await settle(path.join(dir, 'feedback.jsonl'), 100);
    const log = await state.readLog('feedback', 1000);
    expect(log).toHaveLength(100);
    expect(log.at(-1)?.entry.index).toBe(499);
    expect(log[0].entry.index).toBe(400);
  });
  it('skip a line a crash cut short mid-append, and drop it at the next compaction', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-file-log-'));
    const file = path.join(dir, 'unanswered.jsonl');
    const first = new MemoryState(Date.now, dir);
    await first.appendLog('unanswered', { index: 0 }, 100);
    // That process ended (its background compaction done) before the one that crashed: were it still
    // compacting, its rename would replace the file the restarted state appends to below.
    await first.close();
    // The process died while writing the second entry: half a line, no newline.
    await appendFile(file, '{"id":"17');
    const restarted = new MemoryState(Date.now, dir);
    await restarted.appendLog('unanswered', { index: 1 }, 100);
    // The restarted state's first append compacts: the torn line goes, both whole entries stay.
    await settle(file, 2);
    expect((await restarted.readLog('unanswered', 10)).map((item) => item.entry.index)).toEqual([0, 1]);
    expect((await readFile(file, 'utf8')).includes('{"id":"17{')).toBe(false);
  });

  it('never bring a deleted log back: a compaction reading it while it is deleted (a workspace deleted) and written again leaves the new file as it is', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-file-log-'));
    const state = new MemoryState(Date.now, dir);
    const name = 'gone:interactions';
    // A log of many MB, which its compaction reads a slice at a time while the process serves other requests.
    const padding = 'x'.repeat(1000);
    await writeFile(
      path.join(dir, `${name}.jsonl`),
      Array.from({ length: 20_000 }, (_, index) => `${JSON.stringify({ id: `${Date.now()}-${index}`, entry: { q: `old ${index}`, padding } })}\n`).join(''),
    );
    // This process's first append to it starts a compaction; meanwhile the log is deleted, and an answer still in
    // flight for the deleted workspace appends to it.
    await state.appendLog(name, { q: 'last before the delete' }, 100_000);
    await state.deletePrefix('gone:');
    await state.appendLog(name, { q: 'after the delete' }, 100_000);
    await state.close();
    expect((await state.readLog(name, 10)).map((item) => item.entry.q)).toEqual(['after the delete']);
    expect((await readdir(dir)).sort()).toEqual([`${name}.jsonl`]);
  });
});
