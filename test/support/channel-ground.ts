import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { FakeVllmServer } from './fake-vllm-server.js';
import { configToEnv, ingestSampleKnowledge, tempDir } from './real-stack.js';

/** What the channel tests' service replicas stand on (their platform doubles are each test's own). */
export interface ChannelGround {
  /** The replicas' REDIS_KEY_PREFIX: every key they write starts with it. */
  prefix: string;
  /** Settings every replica shares: the sample knowledge base, the shared Redis under `prefix`, no answer cache (every message is answered). */
  env: Record<string, string>;
  vllm: FakeVllmServer;
  /** A client of the shared Redis, to read what the replicas wrote. */
  redis: Redis;
  /** Deletes the prefix's keys, stops the vLLM double and removes the folder; close the replicas and platform doubles first. */
  close(): Promise<void>;
}

/**
 * The sample knowledge base ingested into a folder of its own (calibration off: no channel test is about it), the
 * vLLM test double, and the shared Redis under a key prefix of the test's own, so parallel files never meet.
 */
export async function channelGround(name: string): Promise<ChannelGround> {
  const temp = await tempDir(name);
  const prefix = `kefu-test-${name}-${randomBytes(4).toString('hex')}:`;
  const vllm = await new FakeVllmServer().start();
  let base: Awaited<ReturnType<typeof ingestSampleKnowledge>>;
  try {
    base = await ingestSampleKnowledge(temp.dir, { CALIBRATION_ENABLED: 'false', STATE_LOG_DIR: `${temp.dir}/state` });
  } catch (error) {
    await vllm.stop();
    await temp.remove();
    throw error;
  }
  const redis = new Redis('redis://127.0.0.1:6379');
  return {
    prefix,
    env: { ...configToEnv(base), REDIS_URL: 'redis://127.0.0.1:6379', REDIS_KEY_PREFIX: prefix, ANSWER_CACHE: 'false' },
    vllm,
    redis,
    async close() {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
      await vllm.stop();
      await temp.remove();
    },
  };
}
