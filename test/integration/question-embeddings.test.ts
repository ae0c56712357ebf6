import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Embedder } from '../../src/embed/embedder.js';
import { GapReporter } from '../../src/insights/gaps.js';
import { QUESTION_EMBEDDINGS_MAX, SharedQuestionEmbeddings } from '../../src/insights/question-embeddings.js';
import { RedisState } from '../../src/state/redis-state.js';
import { MemoryState, type SharedState } from '../../src/state/shared-state.js';
import { realEmbedders, tempDir } from '../support/real-stack.js';

/**
 * The dashboard's topics (and the gaps report) cluster question embeddings; they are kept in shared state, so a
 * restarted process (the STATE_LOG_DIR files) or a second replica (Redis) reads them back instead of embedding every
 * question again, and clusters the same. With the real primary model, counting its calls.
 */
const items = readFileSync('eval/dev-set.jsonl', 'utf8')
  .split('\n')
  .filter(Boolean)
  .slice(0, 24)
  .map((line, index) => ({ id: `turn-${index}`, question: (JSON.parse(line) as { text: string }).text, productLine: 'general', at: new Date(Date.UTC(2026, 11, 1, 0, index)).toISOString() }));

let embedder: Embedder;
let calls = 0;
let cleanup: () => Promise<void>;
let dir: string;
const redisPrefix = `kefu-test-question-embeddings-${process.pid}-${Date.now()}:`;
const opened: SharedState[] = [];

beforeAll(async () => {
  const model = (await realEmbedders()).primary;
  // The real model, counted: what a report embeds is what it costs.
  embedder = Object.assign(Object.create(model) as Embedder, {
    embedQuery: (text: string) => {
      calls++;
      return model.embedQuery(text);
    },
  });
  ({ dir, remove: cleanup } = await tempDir('question-embeddings'));
}, 120_000);

afterAll(async () => {
  const redis = RedisState.connect('redis://127.0.0.1:6379', { prefix: redisPrefix });
  if (await redis.ready(5000)) await redis.deletePrefix('');
  await redis.close();
  for (const state of opened) await state.close();
  await cleanup?.();
});

const reporterOn = (state: SharedState, modelKey = embedder.modelKey) =>
  new GapReporter(embedder, { similarity: 0.75, memo: new SharedQuestionEmbeddings(state, modelKey, { maxEntries: QUESTION_EMBEDDINGS_MAX, dimension: embedder.dimension }) });
const membersOf = (clusters: { members: { id: string }[] }[]) => clusters.map((cluster) => cluster.members.map((member) => member.id));
const counted = async <T>(task: () => Promise<T>) => {
  const before = calls;
  const result = await task();
  return { result, embedded: calls - before };
};
const open = <T extends SharedState>(state: T) => {
  opened.push(state);
  return state;
};
const redisReplica = async () => {
  const state = open(RedisState.connect('redis://127.0.0.1:6379', { prefix: redisPrefix }));
  expect(await state.ready(5000)).toBe(true);
  return state;
};

describe('question embeddings kept in shared state', () => {
  it('a restarted process reads them back from the state files: nothing is embedded again and the topics are the same', async () => {
    const first = await counted(() => reporterOn(open(new MemoryState(Date.now, dir))).clusters(items));
    expect(first.embedded).toBe(items.length);
    // A new process: a new state over the same folder, a new reporter with an empty cache.
    const restarted = await counted(() => reporterOn(open(new MemoryState(Date.now, dir))).clusters(items));
    expect(restarted.embedded).toBe(0);
    expect(membersOf(restarted.result)).toEqual(membersOf(first.result));
    // A question asked since is embedded alone.
    const asked = { id: 'turn-new', question: 'Can the Lumora band measure blood oxygen while I sleep?', productLine: 'general', at: new Date(Date.UTC(2026, 11, 2)).toISOString() };
    expect((await counted(() => reporterOn(open(new MemoryState(Date.now, dir))).clusters([...items, asked]))).embedded).toBe(1);
  });

  it('a second replica finds in Redis what the first embedded, also what it embedded after the second started', async () => {
    const replicaA = reporterOn(await redisReplica());
    const replicaB = reporterOn(await redisReplica());
    const half = items.slice(0, 12);
    expect((await counted(() => replicaA.clusters(half))).embedded).toBe(12);
    expect((await counted(() => replicaB.clusters(half))).embedded).toBe(0);
    // Embedded by A after B read the log: B finds them at the log's end.
    expect((await counted(() => replicaA.clusters(items))).embedded).toBe(12);
    const late = await counted(() => replicaB.clusters(items));
    expect(late.embedded).toBe(0);
    expect(membersOf(late.result)).toEqual(membersOf(await replicaA.clusters(items)));
  });

  it('vectors of another model are never taken: a model change embeds again', async () => {
    const other = await counted(() => reporterOn(open(new MemoryState(Date.now, dir)), `${embedder.modelKey}|another-model`).clusters(items));
    expect(other.embedded).toBe(items.length);
  });
});
