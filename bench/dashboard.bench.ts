/**
 * `npm run bench:dashboard`: what the dashboard costs per request. (1) The pure numbers (join, outcomes, rates,
 * conversation list) over a full `interactions` log of 100,000 turns with 20,000 thumbs and 5,000 handoffs, as a
 * ratio to the same run's reference: JSON-parsing those entries, which reading the log costs anyway. (2) The
 * topics chart's clustering with the real primary model over 1,360 questions (the dev set's 136, ten times with
 * distinct ids): a first report embeds each question once, a second over the same window only clusters. (3) The
 * same report after a restart (a new process, or another replica): the question embeddings kept in shared state
 * (src/insights/question-embeddings.ts) are read back instead of embedded again. The state is `STATE_LOG_DIR`-style
 * files in a temporary folder, or Redis with `BENCH_STATE=redis` (REDIS_URL, default 127.0.0.1:6379, a prefix of
 * its own removed at the end).
 */
import { loadConfig } from '../src/config/config.js';
import { loadEmbeddingSpaces } from '../src/embed/load-embedder.js';
import { joinTurns, type LogItem, outcomesPerDay, ratesPerDay, topicRows } from '../src/insights/analytics.js';
import { conversationSummaries } from '../src/insights/conversation-review.js';
import { GapReporter } from '../src/insights/gaps.js';
import { QUESTION_EMBEDDINGS_MAX, SharedQuestionEmbeddings } from '../src/insights/question-embeddings.js';
import { RedisState } from '../src/state/redis-state.js';
import { MemoryState, type SharedState } from '../src/state/shared-state.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const round = (value: number, digits = 1) => Number(value.toFixed(digits));
const DAY = 86_400_000;
const end = Date.parse('2026-03-31T00:00:00Z');
const range = { from: '2026-01-01', to: '2026-03-31' };
const outcomes = ['answered', 'answered', 'answered', 'curated', 'suggested', 'refused'];
const interactions: LogItem[] = Array.from({ length: 100_000 }, (_, index) => {
  const answerId = `answer-${index}`;
  return {
    id: `${index}-0`,
    entry: {
      id: answerId,
      answerId,
      at: new Date(end - (index % 90) * DAY - index).toISOString(),
      sessionId: `session-${Math.floor(index / 3)}`,
      turn: (index % 3) + 1,
      channel: index % 5 ? 'widget' : 'wechat',
      question: `question ${index % 997}`,
      lang: 'en',
      productLine: ['A', 'B', 'C'][index % 3],
      outcome: outcomes[index % outcomes.length],
      mode: 'extractive',
      confidence: 0.7,
      sources: [{ docId: 'doc', title: 'Doc' }],
    },
  };
});
const feedback: LogItem[] = Array.from({ length: 20_000 }, (_, index) => ({
  id: `f${index}`,
  entry: { answerId: `answer-${index * 5}`, rating: index % 4 ? 'up' : 'down', at: new Date(end).toISOString() },
}));
const handoffs: LogItem[] = Array.from({ length: 5_000 }, (_, index) => ({ id: `h${index}`, entry: { answerId: `answer-${index * 20 + 5}`, at: new Date(end).toISOString(), channel: 'widget' } }));
const lines = interactions.map((item) => JSON.stringify(item));

const time = (task: () => unknown) => {
  const started = performance.now();
  task();
  return performance.now() - started;
};
const best = (task: () => unknown) => Math.min(...Array.from({ length: 5 }, () => time(task)));

const parseMs = best(() => lines.map((line) => JSON.parse(line)));
const dashboardMs = best(() => {
  const { turns, loneHandoffs } = joinTurns(interactions, feedback, handoffs);
  outcomesPerDay(turns, loneHandoffs, range);
  ratesPerDay(turns, loneHandoffs, range);
});
const conversationsMs = best(() => conversationSummaries(joinTurns(interactions, feedback, handoffs).turns, [], { outcome: 'refused' }));

const spaces = await loadEmbeddingSpaces(loadConfig({ EMBEDDING_MODEL_MULTI: 'none' }));
const questions = readFileSync('eval/dev-set.jsonl', 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((line) => JSON.parse(line) as { text: string });
const items = Array.from({ length: 10 }, (_, copy) =>
  questions.map((question, index) => ({ id: `${copy}-${index}`, question: question.text, productLine: 'general', at: new Date(end - (index % 30) * DAY).toISOString() })),
).flat();
const onRedis = process.env.BENCH_STATE === 'redis';
const stateDir = mkdtempSync(path.join(os.tmpdir(), 'kefu-bench-dashboard-'));
const redisPrefix = `kefu-bench-dashboard-${process.pid}:`;
// A process's view of the shared state: a new one is what a restart (or another replica) starts with.
const openState = async (): Promise<SharedState> => {
  if (!onRedis) return new MemoryState(Date.now, stateDir);
  const redis = RedisState.connect(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { prefix: redisPrefix });
  if (!(await redis.ready(5000))) throw new Error('BENCH_STATE=redis: Redis is not reachable');
  return redis;
};
const reporterOn = (state: SharedState) =>
  new GapReporter(spaces.primary, {
    similarity: 0.75,
    memo: new SharedQuestionEmbeddings(state, spaces.primary.modelKey, { maxEntries: QUESTION_EMBEDDINGS_MAX, dimension: spaces.primary.dimension }),
  });
const firstState = await openState();
const reporter = reporterOn(firstState);
let started = performance.now();
const clusters = await reporter.clusters(items);
const firstMs = performance.now() - started;
started = performance.now();
await reporter.clusters(items);
const cachedMs = performance.now() - started;
await firstState.close();
const restartedState = await openState();
started = performance.now();
const restartedClusters = await reporterOn(restartedState).clusters(items);
const restartMs = performance.now() - started;
const sameClusters =
  JSON.stringify(restartedClusters.map((cluster) => cluster.members.map((member) => member.id))) === JSON.stringify(clusters.map((cluster) => cluster.members.map((member) => member.id)));
if (onRedis) await (restartedState as RedisState).deletePrefix('');
await restartedState.close();
rmSync(stateDir, { recursive: true, force: true });
const topics = topicRows(clusters, { from: '2026-03-02', to: '2026-03-31' }, 10);

console.log(
  JSON.stringify(
    {
      log: { interactions: interactions.length, feedback: feedback.length, handoffs: handoffs.length, days: 90 },
      referenceJsonParseMs: round(parseMs),
      outcomesAndRatesMs: round(dashboardMs),
      outcomesAndRatesVsParse: round(dashboardMs / parseMs, 2),
      conversationListMs: round(conversationsMs),
      conversationListVsParse: round(conversationsMs / parseMs, 2),
      topics: {
        questions: items.length,
        clusters: clusters.length,
        shown: topics.length,
        firstReportMs: Math.round(firstMs),
        perQuestionMs: round(firstMs / items.length, 2),
        cachedReportMs: Math.round(cachedMs),
        restartedState: onRedis ? 'redis' : 'files',
        afterRestartMs: Math.round(restartMs),
        afterRestartVsFirst: round(restartMs / firstMs, 3),
        afterRestartSameClusters: sameClusters,
      },
    },
    null,
    2,
  ),
);
