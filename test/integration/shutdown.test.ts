import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/config.js';
import { FakeVllmServer } from '../support/fake-vllm-server.js';
import { ingestSampleKnowledge, tempDir, configToEnv } from '../support/real-stack.js';

let base: Config;
let temp: { dir: string; remove: () => Promise<void> };
const llm = new FakeVllmServer();

beforeAll(async () => {
  temp = await tempDir('shutdown');
  base = await ingestSampleKnowledge(path.join(temp.dir, 'db'), { STATE_LOG_DIR: path.join(temp.dir, 'logs') });
  await llm.start();
});

afterAll(async () => {
  await llm.stop();
  await temp?.remove();
});

describe('graceful shutdown of the server process', () => {
  it('on SIGTERM: readiness 503 first, running streams end with an error event at the drain deadline, exit 0', async () => {
    const port = 4100 + (process.pid % 50);
    const env = {
      ...process.env,
      ...configToEnv(base),
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      LLM_BASE_URL: llm.baseURL,
      SHUTDOWN_READINESS_DELAY_MS: '800',
      SHUTDOWN_DRAIN_MS: '1500',
    };
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env, stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const url = `http://127.0.0.1:${port}`;
    await expect.poll(() => fetch(`${url}/readyz`).then((response) => response.status, () => 0), { timeout: 60_000, interval: 200 }).toBe(200);

    // A generation far longer than the drain allows: one token per second.
    llm.mode = 'slow';
    llm.tokenDelayMs = 50;
    const response = await fetch(`${url}/v1/ask`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question: '停车监控需要什么配件？', stream: true }) });
    const reader = response.body!.getReader();
    let text = '';
    while (!text.includes('event: token')) text += new TextDecoder().decode((await reader.read()).value);

    child.kill('SIGTERM');
    // Readiness turns 503 while the server still accepts (the load balancer's cue).
    await expect.poll(() => fetch(`${url}/readyz`).then((ready) => ready.status, () => 0), { timeout: 700, interval: 50 }).toBe(503);
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    const events = [...text.matchAll(/event: (\w+)\ndata: (.*)\n/g)].map(([, name, data]) => ({ name, data: JSON.parse(data) }));
    expect(events.at(-1)).toMatchObject({ name: 'error', data: { code: 'shutting_down' } });
    expect(events.some((event) => event.name === 'done')).toBe(false);
    expect(await exited).toBe(0);
  });
});
