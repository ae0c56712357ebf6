import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { loadEmbedder } from '../../src/embed/load-embedder.js';
import { WorkerEmbedder } from '../../src/embed/worker-embedder.js';
import { realEmbedders } from '../support/real-stack.js';

let worker: WorkerEmbedder | undefined;
let pool: WorkerEmbedder | undefined;
afterAll(async () => {
  await worker?.close();
  await pool?.close();
});

describe('embedding in a worker thread (what the service does)', () => {
  it('gives the same vectors and token counts as the in-process model, and leaves the event loop free while it runs', async () => {
    worker = (await loadEmbedder(loadConfig({}), undefined, { inWorker: true })) as WorkerEmbedder;
    expect(worker).toBeInstanceOf(WorkerEmbedder);
    const inProcess = (await realEmbedders()).primary;
    expect(worker.modelKey).toBe(inProcess.modelKey);
    const texts = ['手环可以戴着游泳吗？', 'Does parking mode drain my car battery?'];
    const [a, b] = [await worker.embedPassages(texts), await inProcess.embedPassages(texts)];
    for (let index = 0; index < texts.length; index++) for (let d = 0; d < a[index].length; d += 37) expect(a[index][d]).toBeCloseTo(b[index][d], 4);
    expect((await worker.embedQuery(texts[0])).length).toBe(inProcess.dimension);
    expect(worker.countTokens(texts[1])).toBe(inProcess.countTokens(texts[1]));

    // A large batch runs in the worker while timers here keep firing on time.
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const batch = Array.from({ length: 64 }, (_, index) => `Lumora support question number ${index}: how do I pair the Pulse Band 3 with my phone after a reset?`);
    const started = performance.now();
    await worker.embedPassages(batch);
    const elapsed = performance.now() - started;
    clearInterval(timer);
    // An in-process run would hold the loop for the whole batch (0 ticks); here most 5 ms ticks fire.
    expect(ticks).toBeGreaterThan((elapsed / 5) * 0.3);
  });

  it('with two instances, calls at the same moment each go to an idle one and give the same vectors', async () => {
    pool = (await loadEmbedder(loadConfig({ EMBEDDING_WORKERS: '2' }), undefined, { inWorker: true })) as WorkerEmbedder;
    expect(pool.parallelism).toBe(2);
    const inProcess = (await realEmbedders()).primary;
    const text = 'Does parking mode drain my car battery?';
    const expected = (await inProcess.embedPassages([text]))[0];
    // The second call finds the first instance busy and goes to the other: both instances answer.
    const [first, second] = await Promise.all([pool.embedPassages([text]), pool.embedPassages([text])]);
    for (const [vector] of [first, second]) for (let d = 0; d < vector.length; d += 37) expect(vector[d]).toBeCloseTo(expected[d], 4);
    // Once its threads have ended, a call fails at once instead of waiting for an answer that never comes.
    await pool.close();
    await expect(pool.embedQuery(text)).rejects.toThrow(/embedding worker exited/);
  });
});
