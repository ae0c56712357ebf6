import { describe, expect, it } from 'vitest';
import { fitToBudget, PROMPT_OVERHEAD_TOKENS, qwenTokenCounter, truncateToTokens } from '../../src/answer/token-budget.js';

const counter = qwenTokenCounter;

describe('token budget with the real Qwen3 tokenizer', () => {
  it('counts Chinese and English tokens', () => {
    expect(counter.count('Hello world')).toBe(2);
    expect(counter.count('你好，世界！')).toBeGreaterThanOrEqual(3);
  });

  it('trims a 200K-token source set to fit the 32K window, keeping rank order and room for the answer', () => {
    const paragraph = '智能温控器支持通过手机应用远程调节温度，并且可以设置每周的日程安排。The thermostat supports remote control from the app. ';
    const perSource = counter.count(paragraph) * 100;
    const sources = Array.from({ length: Math.ceil(200_000 / perSource) }, (_, index) => ({ id: index, text: paragraph.repeat(100) }));
    const total = sources.reduce((sum, source) => sum + counter.count(source.text), 0);
    expect(total).toBeGreaterThan(200_000);

    const render = (source: { id: number; text: string }, text = source.text) => `[${source.id + 1}] Title\n${text}\n`;
    const result = fitToBudget({
      contextTokens: 32_768,
      answerTokens: 1024,
      fixedTokens: 900,
      sources,
      renderSource: render,
      sourceText: (source) => source.text,
      history: [{ role: 'user', content: '上一个问题' }, { role: 'assistant', content: '上一个回答 [1]' }],
      renderHistory: (turn) => turn.content,
      counter,
    });
    const promptTokens = 900 + PROMPT_OVERHEAD_TOKENS + result.sources.reduce((sum, { source, text }) => sum + counter.count(render(source, text)), 0) + result.history.reduce((sum, turn) => sum + counter.count(turn.content) + 5, 0);
    expect(promptTokens).toBeLessThanOrEqual(32_768 - 1024);
    expect(result.promptTokens).toBe(promptTokens);
    // Best sources first, in order; the last kept one may be cut; the rest are dropped.
    expect(result.sources.map(({ source }) => source.id)).toEqual(result.sources.map((_, index) => index));
    expect(result.droppedSources + result.sources.length).toBe(sources.length);
    expect(result.history).toHaveLength(2);
    // The window is used, not wasted: within 2% of the available room.
    expect(promptTokens).toBeGreaterThan((32_768 - 1024) * 0.98);
  });

  it('fits the model maximum of 262,144 tokens just as well', () => {
    const text = 'word '.repeat(300_000);
    const result = fitToBudget({ contextTokens: 262_144, answerTokens: 4096, fixedTokens: 100, sources: [{ text }], renderSource: (s, t = s.text) => t, sourceText: (s) => s.text, history: [], renderHistory: () => '', counter });
    expect(result.truncatedSources).toBe(1);
    expect(result.promptTokens).toBeLessThanOrEqual(262_144 - 4096);
  });

  it('drops the oldest history first when history is over its share', () => {
    const turns = Array.from({ length: 50 }, (_, index) => ({ content: `turn ${index} ${'x '.repeat(200)}` }));
    const result = fitToBudget({ contextTokens: 4096, answerTokens: 512, fixedTokens: 200, sources: [], renderSource: () => '', sourceText: () => '', history: turns, renderHistory: (turn) => turn.content, counter });
    expect(result.history.at(-1)).toBe(turns.at(-1));
    expect(result.droppedTurns).toBeGreaterThan(40);
  });

  it('truncates to a token limit', () => {
    const cut = truncateToTokens('one two three four five six seven eight', 4, counter);
    expect(counter.count(cut)).toBeLessThanOrEqual(4);
    expect(cut.endsWith('…')).toBe(true);
  });
});
