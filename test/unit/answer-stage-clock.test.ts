import { describe, expect, it } from 'vitest';
import { type AnswerStage, StageClock, timingKey } from '../../src/answer/stage-clock.js';

/** An observer that keeps what it heard, in order. */
function listener() {
  const heard: AnswerStage[] = [];
  return { heard, observer: { stage: (stage: AnswerStage, seconds: number) => (expect(seconds).toBeGreaterThanOrEqual(0), heard.push(stage)) } };
}

describe('the answer stage clock', () => {
  it('names each timing after its stage', () => {
    expect(['classify', 'llm_first_token', 'total'].map((stage) => timingKey(stage as AnswerStage))).toEqual(['classifyMs', 'llmFirstTokenMs', 'totalMs']);
  });

  it('times named stages into the answer timings, adds up a stage run twice, and tells observers of every run', async () => {
    const { heard, observer } = listener();
    const clock = new StageClock(observer);
    expect(await clock.stage('classify', () => 'A')).toBe('A');
    await clock.stage('decide', async () => 1);
    await clock.stage('decide', async () => 2);
    const llm = clock.start('llm');
    llm.lap('llm_first_token');
    llm.end();
    const timings = clock.finish();
    expect(Object.keys(timings)).toEqual(['classifyMs', 'decideMs', 'llmFirstTokenMs', 'llmMs', 'totalMs']);
    expect(heard).toEqual(['classify', 'decide', 'decide', 'llm_first_token', 'llm', 'total']);
    for (const value of Object.values(timings)) expect(value).toBe(Math.round(value * 1000) / 1000);
  });

  it('does not count a stage that throws', async () => {
    const { heard, observer } = listener();
    const clock = new StageClock(observer);
    await expect(clock.stage('extract', () => Promise.reject(new Error('no sentence')))).rejects.toThrow('no sentence');
    expect(clock.timings).toEqual({});
    expect(heard).toEqual([]);
  });

  it('keeps a forked clock’s timings apart until they are joined, and observes split timings once when asked', async () => {
    const { heard, observer } = listener();
    const clock = new StageClock(observer);
    const dropped = clock.fork();
    dropped.add('embedMs', 3);
    dropped.add('embedMs', 4);
    expect(clock.timings).toEqual({});
    dropped.observe('embed');
    expect(heard).toEqual(['embed']);
    const kept = clock.fork();
    kept.add('retrieveMs', 5);
    clock.join(kept);
    expect(clock.timings).toEqual({ retrieveMs: 5 });
    expect(dropped.timings).toEqual({ embedMs: 7 });
  });
});
