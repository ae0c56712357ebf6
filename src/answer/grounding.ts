import type { ProductLineRules } from '../classify/product-lines.js';
import type { Candidate } from '../retrieve/fusion.js';
import type { Language } from '../text/language.js';
import type { ChatMessage } from './chat-model.js';
import { contentTerms, termCoverage } from '../text/terms.js';
import { checkCitations } from './citations.js';
import { buildMessages, type PromptAudience, type PromptSource, type PromptTurn, renderSource, systemPrompt, userMessage } from './prompt.js';
import type { PromptTemplates } from './prompt-templates.js';
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
  templates: PromptTemplates;
  audience: PromptAudience;
  contextTokens: number;
  maxAnswerTokens: number;
  tokenCounter: TokenCounter;
  /** A line added to the system prompt for this answer only. */
  note?: string;
}

/**
 * Stage "ground": the system prompt (rules), the numbered sources and the conversation, fitted to the
 * model's context window. `given` lists the source numbers that made it into the prompt: only those may be cited.
 */
export function groundPrompt(input: GroundInput): { messages: ChatMessage[]; given: Set<number> } {
  const system = [
    systemPrompt({
      companyName: input.companyName,
      lang: input.lang,
      productLine: input.productLine,
      rules: input.rules,
      handoffContact: input.handoffContact,
      templates: input.templates,
      audience: input.audience,
    }),
    input.note,
  ]
    .filter(Boolean)
    .join('\n\n');
  const promptSources: PromptSource[] = input.sources.map((candidate, index) => ({
    n: index + 1,
    title: candidate.title,
    headingPath: candidate.headingPath,
    sourcePath: candidate.sourcePath,
    productLine: candidate.productLine,
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
 * Stage "verify": keeps only citations of sources the model was given, and only where the cited source
 * supports the sentence — it shares enough of the sentence's content terms (a fabricated "[1] refunds every
 * order" cites a real number but not a real source). An answer left citing nothing is not grounded and
 * returns undefined, so the caller replaces it.
 */
export function verifyCitations(generated: string, given: Set<number>, sourceTexts?: Map<number, string>, minSupport = 0.3): { text: string; used: number[]; unsupported: number[] } | undefined {
  const checked = checkCitations(generated.trim(), given);
  let text = checked.text;
  const unsupported: number[] = [];
  if (sourceTexts) {
    const sourceTerms = new Map([...sourceTexts].map(([n, source]) => [n, contentTerms(source)]));
    text = splitCitedSentences(text)
      .map((sentence) => {
        const claim = contentTerms(sentence.replace(/\[\d+\]/g, ''));
        return sentence.replace(/\[(\d+)\]/g, (marker, number: string) => {
          const terms = sourceTerms.get(Number(number));
          if (!terms || claim.size === 0 || termCoverage(claim, terms) >= minSupport) return marker;
          unsupported.push(Number(number));
          return '';
        });
      })
      .join('');
  }
  const used = [...new Set([...text.matchAll(/\[(\d+)\]/g)].map((match) => Number(match[1])))];
  return used.length ? { text, used, unsupported } : undefined;
}

/** Sentences with their trailing citations and whitespace kept, so joining them gives the text back. */
function splitCitedSentences(text: string): string[] {
  return text.match(/[^。！？!?.\n]*(?:[。！？!?.]+|\n|$)(?:\s*\[\d+\])*\s*/g)?.filter(Boolean) ?? [text];
}
