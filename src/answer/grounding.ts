import type { ProductLineRules } from '../classify/product-lines.js';
import type { Candidate } from '../retrieve/fusion.js';
import type { Language } from '../text/language.js';
import type { ChatMessage } from './chat-model.js';
import { checkCitations } from './citations.js';
import { buildMessages, type PromptSource, type PromptTurn, renderSource, systemPrompt, userMessage } from './prompt.js';
import { fitToBudget, MESSAGE_OVERHEAD_TOKENS, type TokenCounter } from './token-budget.js';

export interface GroundInput {
  question: string;
  lang: Language;
  productLine: string;
  /** The selected sources, numbered 1… in this order. */
  sources: Candidate[];
  history: PromptTurn[];
  companyName: string;
  rules: ProductLineRules;
  handoffContact: string;
  contextTokens: number;
  maxAnswerTokens: number;
  tokenCounter: TokenCounter;
}

/**
 * Stage "ground": the system prompt (rules), the numbered sources and the conversation, fitted to the
 * model's context window. `given` lists the source numbers that made it into the prompt: only those may be cited.
 */
export function groundPrompt(input: GroundInput): { messages: ChatMessage[]; given: Set<number> } {
  const system = systemPrompt({ companyName: input.companyName, lang: input.lang, productLine: input.productLine, rules: input.rules, handoffContact: input.handoffContact });
  const promptSources: PromptSource[] = input.sources.map((candidate, index) => ({
    n: index + 1,
    title: candidate.title,
    headingPath: candidate.heading_path,
    sourcePath: candidate.source_path,
    productLine: candidate.product_line,
    text: candidate.text,
  }));
  const budget = fitToBudget({
    contextTokens: input.contextTokens,
    answerTokens: input.maxAnswerTokens,
    fixedTokens: input.tokenCounter.count(system) + input.tokenCounter.count(userMessage(input.question, [], input.lang)) + 2 * MESSAGE_OVERHEAD_TOKENS,
    sources: promptSources,
    renderSource: (source, text) => renderSource(source, text),
    sourceText: (source) => source.text,
    history: input.history,
    renderHistory: (turn) => turn.content,
    counter: input.tokenCounter,
  });
  const given = new Set(budget.sources.map(({ source }) => source.n));
  const messages = buildMessages(system, budget.history, userMessage(input.question, budget.sources.map(({ source, text }) => renderSource(source, text)), input.lang));
  return { messages, given };
}

/**
 * Stage "verify": keeps only citations of sources the model was given. An answer that cites none of them
 * is not grounded and returns undefined, so the caller replaces it.
 */
export function verifyCitations(generated: string, given: Set<number>): { text: string; used: number[] } | undefined {
  const checked = checkCitations(generated.trim(), given);
  return checked.used.length ? { text: checked.text, used: checked.used } : undefined;
}
