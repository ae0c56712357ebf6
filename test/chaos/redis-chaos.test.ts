/**
 * Redis frozen (SIGSTOP, then SIGCONT) and killed (SIGKILL, then restarted) while clients ask questions and
 * send feedback without pause: no request may fail, and every feedback the service accepted must be in Redis
 * afterwards, exactly once — including entries whose command timed out while Redis was frozen and then ran
 * when it thawed, and entries spooled to disk while it was gone.
 */
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/log.js';
import { buildService, type Service } from '../../src/service.js';
import { RedisState } from '../../src/state/redis-state.js';
import { type OwnRedis, startOwnRedis } from '../support/own-redis.js';
import { ingestSampleKnowledge, realEmbedders, tempDir, configToEnv } from '../support/real-stack.js';

let temp: { dir: string; remove: () => Promise<void> };
let redis: OwnRedis | undefined;
let service: Service | undefined;

// Append-only with fsync on every write: what Redis acknowledged survives its own SIGKILL, so whatever goes
// missing afterwards was lost by the service. A Redis of the test's own (test/support/own-redis.ts): a port nothing
// else takes while it is down, and a restart that fails loudly.
const startRedis = () => startOwnRedis(['--appendonly', 'yes', '--appendfsync', 'always', '--dir', temp.dir]);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  temp = await tempDir('redis-chaos');
  redis = await startRedis();
});

afterAll(async () => {
  await service?.close();
  await redis?.kill();
  await temp?.remove();
});

describe('Redis frozen and killed under load', () => {
  it('fails no request and loses no feedback', async () => {
    const base = await ingestSampleKnowledge(path.join(temp.dir, 'db'));
    const env = configToEnv(base);
    // Four clients without pause queue several model calls each on two cores; load shedding has its own tests.
    const config = loadConfig({ ...env, REDIS_URL: redis!.url, REDIS_KEY_PREFIX: 'chaos:', REDIS_COMMAND_TIMEOUT_MS: '300', STATE_LOG_DIR: path.join(temp.dir, 'logs'), RATE_LIMIT_IP_BURST: '1000000', RATE_LIMIT_KEY_BURST: '1000000', INFERENCE_MAX_QUEUE: '64' });
    service = await buildService(config, createLogger('silent'), { embedders: await realEmbedders(), chatModel: null });
    const app = service.app;
    await expect.poll(async () => (await request(app).get('/readyz')).status, { timeout: 10_000 }).toBe(200);

    const questions = ['Can I swim with the Pulse Band 3?', '手环续航多久？', 'How do I reset the Hub H1?', '行车记录仪用多大的存储卡？', 'Who won the 2018 world cup?'];
    const failures: string[] = [];
    const accepted: string[] = [];
    let asked = 0;
    let running = true;
    const client = async (clientId: number) => {
      for (let turn = 0; running; turn++) {
        const answer = await request(app).post('/v1/ask').send({ question: questions[(clientId + turn) % questions.length], sessionId: `chaos-client-${clientId}` });
        asked++;
        if (answer.status !== 200) {
          failures.push(`ask ${answer.status} ${answer.text.slice(0, 120)}`);
          continue;
        }
        const comment = `client ${clientId} turn ${turn}`;
        const feedback = await request(app).post('/v1/feedback').send({ answerId: answer.body.answerId, rating: turn % 2 ? 'up' : 'down', comment });
        if (feedback.status === 201) accepted.push(comment);
        else failures.push(`feedback ${feedback.status} ${feedback.text.slice(0, 120)}`);
      }
    };
    const clients = [0, 1, 2, 3].map(client);

    await sleep(1500);
    redis!.child.kill('SIGSTOP'); // frozen: commands time out, then run when it thaws
    await sleep(2500);
    redis!.child.kill('SIGCONT');
    await sleep(1500);
    await redis!.kill(); // gone (SIGKILL): writes spool to disk
    await sleep(2500);
    await redis!.restart(); // back, with what it had acknowledged
    await sleep(2500);
    running = false;
    await Promise.all(clients);

    const shed = (await request(app).get('/metrics')).text.split('\n').filter((line) => line.startsWith('kefu_shed_total'));
    expect(failures, shed.join('\n')).toEqual([]);
    expect(asked).toBeGreaterThan(40);
    // Recovery replays the spool; then every accepted comment is in the Redis stream exactly once.
    const reader = RedisState.connect(redis!.url, { prefix: 'chaos:', commandTimeoutMs: 5000 });
    await reader.ready(5000);
    await expect
      .poll(
        async () => {
          await request(app).get('/readyz');
          const comments = (await reader.readLog('feedback', 100_000)).map(({ entry }) => String(entry.comment));
          return accepted.filter((comment) => !comments.includes(comment)).length;
        },
        { timeout: 20_000, interval: 500 },
      )
      .toBe(0);
    const comments = (await reader.readLog('feedback', 100_000)).map(({ entry }) => String(entry.comment));
    expect(comments.length).toBe(new Set(comments).size);
    expect(comments.length).toBe(accepted.length);
    console.log(`redis chaos: ${asked} questions and ${accepted.length} feedback entries, 0 failed; all feedback in Redis exactly once`);
    await reader.close();
  });
});
