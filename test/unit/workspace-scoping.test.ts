import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AnswerCache } from '../../src/answer/answer-cache.js';
import { loadConfig } from '../../src/config/config.js';
import { MemoryState } from '../../src/state/shared-state.js';
import { AnswerGates } from '../../src/workspaces/answer-gates.js';
import { scopedState } from '../../src/workspaces/scoped-state.js';
import { standInWorkspaces } from '../support/workspaces.js';

describe('a workspace’s view of the shared state', () => {
  it('keeps keys, lists, token buckets and logs of two workspaces apart, and is the state itself for default', async () => {
    const state = new MemoryState();
    const alpha = scopedState(state, 'alpha');
    const beta = scopedState(state, 'beta');
    expect(scopedState(state, 'default')).toBe(state);
    await alpha.setJson('session:1', { secret: 'alpha' }, 60);
    await alpha.pushList('ingest-jobs', 'job-a', 10, 60);
    await alpha.appendLog('audit', { action: 'alpha' }, 10);
    expect(await beta.getJson('session:1')).toBeUndefined();
    expect(await beta.readList('ingest-jobs')).toEqual([]);
    expect(await beta.readLog('audit', 10)).toEqual([]);
    expect(await state.getJson('session:1')).toBeUndefined();
    expect(await alpha.getJson('session:1')).toEqual({ secret: 'alpha' });
    // One bucket of one token: alpha empties its own, beta still has one.
    expect((await alpha.takeToken('key:x', 1, 0.001)).allowed).toBe(true);
    expect((await alpha.takeToken('key:x', 1, 0.001)).allowed).toBe(false);
    expect((await beta.takeToken('key:x', 1, 0.001)).allowed).toBe(true);
  });

  it('never serves one workspace’s cached answer to another asking the same question on the same knowledge version', async () => {
    const state = new MemoryState();
    const alpha = new AnswerCache(scopedState(state, 'alpha'), 600);
    const beta = new AnswerCache(scopedState(state, 'beta'), 600);
    const key = alpha.key('What is the service PIN?', 'C', 'en', 3, 'r1');
    expect(beta.key('What is the service PIN?', 'C', 'en', 3, 'r1')).toBe(key);
    await alpha.set(key, { meta: { secret: 'ALPHA' }, done: { answer: 'ALPHA' } } as never);
    expect(await beta.get(key)).toBeUndefined();
    expect(await alpha.get(key)).toBeDefined();
  });

  it('deletes everything of a deleted workspace, its log files included, and nothing of the others', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-ws-state-'));
    try {
      const state = new MemoryState(Date.now, dir);
      await scopedState(state, 'alpha').appendLog('feedback', { rating: 'up' }, 10);
      await scopedState(state, 'alpha').setJson('answer:1', { a: 1 }, 60);
      await scopedState(state, 'beta').appendLog('feedback', { rating: 'down' }, 10);
      await state.appendLog('feedback', { rating: 'up' }, 10);
      await state.close();
      expect(await state.deletePrefix('ws:alpha:')).toBe(2);
      expect(await scopedState(state, 'alpha').readLog('feedback', 10)).toEqual([]);
      expect(await scopedState(state, 'beta').readLog('feedback', 10)).toHaveLength(1);
      expect(await state.readLog('feedback', 10)).toHaveLength(1);
      expect((await readdir(dir)).sort()).toEqual(['feedback.jsonl', 'ws:beta:feedback.jsonl']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the answer gate shared by workspaces', () => {
  const hold = async (gate: { acquire(): Promise<() => void> }, count: number) => Promise.all(Array.from({ length: count }, () => gate.acquire()));

  it('gives a workspace alone every slot', async () => {
    const gates = new AnswerGates(4, 0.5);
    const releases = await hold(gates.view('alpha'), 4);
    expect(gates.active).toBe(4);
    for (const release of releases) release();
  });

  it('lets a flooded workspace keep only its share while another waits: the other gets the next slot, not the flood', async () => {
    let now = 0;
    const gates = new AnswerGates(4, 0.5, { recentMs: 2000, now: () => now });
    const alpha = gates.view('alpha');
    const beta = gates.view('beta');
    const held = await hold(alpha, 4);
    // Twenty more of alpha's wait; then beta asks.
    const flood = Array.from({ length: 20 }, () => alpha.acquire());
    let betaIn = false;
    const betaSlot = beta.acquire().then((release) => {
      betaIn = true;
      return release;
    });
    expect(alpha.queued).toBe(20);
    expect(beta.queued).toBe(1);
    // Alpha's holders finish one by one; beta is let in at the first free slot.
    held[0]!();
    await new Promise((resolve) => setImmediate(resolve));
    expect(betaIn).toBe(true);
    // While beta runs, alpha holds at most its share (2 of 4).
    for (const release of held.slice(1)) release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(alpha.active).toBe(2);
    expect(gates.active).toBe(3);
    (await betaSlot)();
    // Beta done, but it asked a moment ago: its slots stay free for its next question (one at a time, it has nothing
    // running or waiting between two).
    await new Promise((resolve) => setImmediate(resolve));
    expect(alpha.active).toBe(2);
    const next = await beta.acquire();
    expect(beta.active).toBe(1);
    next();
    // Beta quiet for longer than that: alpha alone again, back to every slot (the next release lets its waiters in).
    now += 2001;
    const [first] = await Promise.all([flood[0]!, flood[1]!]);
    first!();
    await new Promise((resolve) => setImmediate(resolve));
    expect(alpha.active).toBe(4);
    for (const slot of flood.slice(1)) void slot.then((release) => release());
  });

  it('lets a flooded workspace back to every slot when the other’s recent answer is forgotten, with no other event', async () => {
    const gates = new AnswerGates(2, 0.5, { recentMs: 30 });
    const alpha = gates.view('alpha');
    (await gates.view('beta').acquire())();
    const held = await hold(alpha, 1);
    const waiting = alpha.acquire();
    expect(alpha.queued).toBe(1);
    // Nothing else happens: the lapse of beta's memory alone lets alpha's waiter in.
    const second = await waiting;
    expect(alpha.active).toBe(2);
    second();
    for (const release of held) release();
  });
});

describe('a deleted workspace and the answer gate', () => {
  it('forgets its entry, so its last answer no longer keeps the others to their share', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-gate-forget-'));
    try {
      const gates = new AnswerGates(2, 0.5, { recentMs: 60_000 });
      const workspaces = standInWorkspaces(loadConfig({ WORKSPACES_DIR: dir }), { answerGates: gates, keys: { list: () => [] } as never });
      await workspaces.registry.create({ id: 'gone', name: 'Deleted next' }, 'ops');
      // Its last answer a moment ago: while the gate remembers it, another workspace holds 1 of the 2 slots.
      (await gates.view('gone').acquire())();
      await workspaces.delete('gone', 'ops');
      const busy = gates.view('busy');
      const slots = [busy.acquire(), busy.acquire()];
      expect(busy.active).toBe(2);
      for (const release of await Promise.all(slots)) release();
      await workspaces.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('forgets it too when it is deleted with an answer running: once that answer ends, it no longer keeps the others to their share', async () => {
    const gates = new AnswerGates(2, 0.5, { recentMs: 60_000 });
    const running = await gates.view('gone').acquire();
    gates.forget('gone');
    running();
    const busy = gates.view('busy');
    const slots = [busy.acquire(), busy.acquire()];
    expect(busy.active).toBe(2);
    for (const release of await Promise.all(slots)) release();
  });
});
