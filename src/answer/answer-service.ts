import { randomUUID } from 'node:crypto';
import { type ProductLineClassifier, UNKNOWN_LINE } from '../classify/product-lines.js';
import type { Candidate, HybridRetriever } from '../retrieve/hybrid-retriever.js';
import { detectLanguage, type Language } from '../text/language.js';
import { type ChatModel, type ChatUsage, LlmError } from './chat-model.js';
import type { AnswerCache } from './answer-cache.js';
import { checkCitations } from './citations.js';
import { extractiveAnswer, preferLanguage } from './extractive.js';
import { MESSAGES } from './messages.js';
import { buildMessages, type PromptSource, type PromptTurn, renderSource, systemPrompt, userMessage } from './prompt.js';
import { fitToBudget, MESSAGE_OVERHEAD_TOKENS, type TokenCounter } from './token-budget.js';

export interface AnswerRequest {
  question: string;
  lang?: Language;
  /** A line the caller already knows (the widget's data-product-line); skips classification. */
  productLine?: string;
  /** Earlier turns of the conversation, oldest first. */
  history?: PromptTurn[];
  /** Text classified together with the question: earlier user turns, so "does it support Android?" keeps its line. */
  classificationContext?: string;
  /** The question used for retrieval when it differs from what the user typed (a condensed follow-up). */
  retrievalQuestion?: string;
}

export interface SourceInfo {
  n: number;
  chunkId: string;
  docId: string;
  title: string;
  path: string;
  heading: string;
  productLine: string;
  kind: 'faq' | 'passage';
  snippet: string;
}

export type AnswerMode = 'generated' | 'extractive' | 'fallback' | 'refusal';

export interface AnswerMeta {
  answerId: string;
  lang: Language;
  productLine: string;
  productLineName: string | null;
  confidence: number;
  threshold: number;
  sources: SourceInfo[];
}

export interface AnswerDone {
  answerId: string;
  answer: string;
  mode: AnswerMode;
  refused: boolean;
  /** Shown with extractive and fallback answers, so the customer knows it is quoted text. */
  notice: string | null;
  citations: SourceInfo[];
  productLine: string;
  confidence: number;
  /** Set when a generated answer was replaced because it cited nothing valid. */
  replacedUngrounded: boolean;
  /** Served from the answer cache, without retrieval or LLM. */
  cached: boolean;
  usage: ChatUsage;
  timings: Record<string, number>;
}

export type AnswerEvent = { type: 'meta'; data: AnswerMeta } | { type: 'token'; data: { text: string } } | { type: 'done'; data: AnswerDone };

/** Hooks for metrics; the HTTP layer plugs Prometheus in, tests and scripts leave them out. */
export interface AnswerObserver {
  stage?(stage: 'classify' | 'embed' | 'retrieve' | 'llm_first_token' | 'llm' | 'total', seconds: number): void;
  outcome?(mode: AnswerMode, details: { replacedUngrounded: boolean; llmError?: LlmError }): void;
  tokens?(usage: ChatUsage): void;
  cache?(hit: boolean): void;
}

export interface AnswerServiceOptions {
  retriever: HybridRetriever;
  classifier: ProductLineClassifier;
  /** Undefined runs the service in extractive mode. */
  chatModel?: ChatModel;
  tokenCounter: TokenCounter;
  companyName: string;
  handoffContact: Record<Language, string>;
  /** Per language: below it, the service refuses without calling the LLM. */
  refusalThreshold: Record<Language, number>;
  candidates: number;
  sources: number;
  contextTokens: number;
  maxAnswerTokens: number;
  temperature: number;
  observer?: AnswerObserver;
  cache?: AnswerCache;
  /** The knowledge table version, part of every cache key. */
  knowledgeVersion?: () => Promise<number>;
}

/**
 * Question in, events out: classify → retrieve → refuse, or answer (generated, or extractive without an
 * LLM or when it fails) → check citations. The HTTP layer turns the events into SSE or one JSON body.
 */
export class AnswerService {
  constructor(private readonly options: AnswerServiceOptions) {}

  get mode(): 'generated' | 'extractive' {
    return this.options.chatModel ? 'generated' : 'extractive';
  }

  async *answer(request: AnswerRequest, signal?: AbortSignal): AsyncGenerator<AnswerEvent> {
    const o = this.options;
    const started = performance.now();
    const timings: Record<string, number> = {};
    const answerId = randomUUID();
    const lang = request.lang ?? detectLanguage(request.question);

    const classifyStarted = performance.now();
    const productLine =
      request.productLine ?? o.classifier.classify(request.classificationContext ? `${request.classificationContext}\n${request.question}` : request.question).productLine;
    timings.classifyMs = performance.now() - classifyStarted;
    o.observer?.stage?.('classify', timings.classifyMs / 1000);

    // Follow-ups depend on their conversation, so only standalone questions use the cache.
    const cacheKey =
      o.cache && o.knowledgeVersion && !request.history?.length
        ? o.cache.key(request.retrievalQuestion ?? request.question, productLine, lang, await o.knowledgeVersion())
        : undefined;
    if (cacheKey) {
      const hit = await o.cache!.get(cacheKey);
      o.observer?.cache?.(Boolean(hit));
      if (hit) {
        yield { type: 'meta', data: { ...hit.meta, answerId } };
        yield { type: 'token', data: { text: hit.done.answer } };
        timings.totalMs = performance.now() - started;
        o.observer?.stage?.('total', timings.totalMs / 1000);
        o.observer?.outcome?.(hit.done.mode, { replacedUngrounded: false });
        yield { type: 'done', data: { ...hit.done, answerId, cached: true, timings: { classifyMs: round(timings.classifyMs), totalMs: round(timings.totalMs) } } };
        return;
      }
    }

    const lines = productLine === UNKNOWN_LINE ? [] : [productLine, o.classifier.rules.general.id];
    // A line the caller states filters; a line guessed from keywords only boosts, so a wrong guess cannot hide the answer.
    const scope = request.productLine ? { productLines: lines } : { preferLines: lines };
    const retrieval = await o.retriever.retrieve(request.retrievalQuestion ?? request.question, { ...scope, candidates: o.candidates, limit: o.sources });
    timings.embedMs = retrieval.timings.embedMs;
    timings.retrieveMs = retrieval.timings.embedMs + retrieval.timings.searchMs;
    o.observer?.stage?.('embed', timings.embedMs / 1000);
    o.observer?.stage?.('retrieve', timings.retrieveMs / 1000);

    const sources = retrieval.candidates.map((candidate, index) => toSourceInfo(candidate, index + 1));
    const line = o.classifier.rules.lines.find((candidate) => candidate.id === productLine);
    const meta: AnswerMeta = {
        answerId,
        lang,
        productLine,
        productLineName: line ? line.names[lang] : productLine === o.classifier.rules.general.id ? o.classifier.rules.general.names[lang] : null,
        confidence: round(retrieval.confidence),
        threshold: o.refusalThreshold[lang],
        sources,
    };
    yield { type: 'meta', data: meta };

    const finish = async (done: Omit<AnswerDone, 'answerId' | 'productLine' | 'confidence' | 'timings' | 'cached'>, llmError?: LlmError): Promise<AnswerEvent> => {
      timings.totalMs = performance.now() - started;
      o.observer?.stage?.('total', timings.totalMs / 1000);
      o.observer?.outcome?.(done.mode, { replacedUngrounded: done.replacedUngrounded, llmError });
      for (const key of Object.keys(timings)) timings[key] = round(timings[key]);
      const data: AnswerDone = { ...done, answerId, productLine, confidence: round(retrieval.confidence), cached: false, timings };
      // Refusals and fallbacks are not cached: the next asker should get a real attempt.
      if (cacheKey && (done.mode === 'generated' || done.mode === 'extractive') && !done.replacedUngrounded) {
        const { answerId: _metaId, ...cachedMeta } = meta;
        const { answerId: _doneId, timings: _timings, ...cachedDone } = data;
        await o.cache!.set(cacheKey, { meta: cachedMeta, done: cachedDone });
      }
      return { type: 'done', data };
    };

    if (retrieval.confidence < o.refusalThreshold[lang] || sources.length === 0) {
      const text = MESSAGES.refusal[lang](o.handoffContact[lang]);
      yield { type: 'token', data: { text } };
      yield await finish({ answer: text, mode: 'refusal', refused: true, notice: null, citations: [], replacedUngrounded: false, usage: {} });
      return;
    }

    const extractive = () => {
      const numbered = retrieval.candidates.map((candidate, index) => ({ lang: candidate.lang, source: toExtractiveSource(candidate, index + 1) }));
      const result = extractiveAnswer(request.question, preferLanguage(numbered, lang).map(({ source }) => source));
      return { text: result.text, citations: sources.filter((source) => result.used.includes(source.n)) };
    };

    if (!o.chatModel) {
      const { text, citations } = extractive();
      yield { type: 'token', data: { text } };
      yield await finish({ answer: text, mode: 'extractive', refused: false, notice: MESSAGES.extractiveNotice[lang], citations, replacedUngrounded: false, usage: {} });
      return;
    }

    const promptContext = { companyName: o.companyName, lang, productLine, rules: o.classifier.rules, handoffContact: o.handoffContact[lang] };
    const system = systemPrompt(promptContext);
    const promptSources: PromptSource[] = retrieval.candidates.map((candidate, index) => ({
      n: index + 1,
      title: candidate.title,
      headingPath: candidate.heading_path,
      sourcePath: candidate.source_path,
      productLine: candidate.product_line,
      text: candidate.text,
    }));
    const budget = fitToBudget({
      contextTokens: o.contextTokens,
      answerTokens: o.maxAnswerTokens,
      fixedTokens: o.tokenCounter.count(system) + o.tokenCounter.count(userMessage(request.question, [], lang)) + 2 * MESSAGE_OVERHEAD_TOKENS,
      sources: promptSources,
      renderSource: (source, text) => renderSource(source, text),
      sourceText: (source) => source.text,
      history: request.history ?? [],
      renderHistory: (turn) => turn.content,
      counter: o.tokenCounter,
    });
    const given = new Set(budget.sources.map(({ source }) => source.n));
    const messages = buildMessages(system, budget.history, userMessage(request.question, budget.sources.map(({ source, text }) => renderSource(source, text)), lang));

    const llmStarted = performance.now();
    const usage: ChatUsage = {};
    let generated = '';
    let llmError: LlmError | undefined;
    try {
      for await (const delta of o.chatModel.stream(messages, { signal, maxTokens: o.maxAnswerTokens, temperature: o.temperature }, usage)) {
        if (!generated) {
          timings.llmFirstTokenMs = performance.now() - llmStarted;
          o.observer?.stage?.('llm_first_token', timings.llmFirstTokenMs / 1000);
        }
        generated += delta;
        yield { type: 'token', data: { text: delta } };
      }
    } catch (error) {
      llmError = error instanceof LlmError ? error : new LlmError('bad-response', String(error), { cause: error });
      if (llmError.kind === 'cancelled') throw llmError;
    }
    timings.llmMs = performance.now() - llmStarted;
    o.observer?.stage?.('llm', timings.llmMs / 1000);
    o.observer?.tokens?.(usage);

    if (llmError) {
      const { text, citations } = extractive();
      yield await finish({ answer: text, mode: 'fallback', refused: false, notice: MESSAGES.fallbackNotice[lang], citations, replacedUngrounded: false, usage }, llmError);
      return;
    }
    const checked = checkCitations(generated.trim(), given);
    if (checked.used.length === 0) {
      // An answer that cites nothing cannot be shown as grounded: quote the knowledge base instead.
      const { text, citations } = extractive();
      yield await finish({ answer: text, mode: 'extractive', refused: false, notice: MESSAGES.extractiveNotice[lang], citations, replacedUngrounded: true, usage });
      return;
    }
    const citations = checked.used.map((n) => sources[n - 1]).filter(Boolean);
    yield await finish({ answer: checked.text, mode: 'generated', refused: false, notice: null, citations, replacedUngrounded: false, usage });
  }
}

function toSourceInfo(candidate: Candidate, n: number): SourceInfo {
  return {
    n,
    chunkId: candidate.id,
    docId: candidate.doc_id,
    title: candidate.title,
    path: candidate.source_path,
    heading: headingBelowTitle(candidate.title, candidate.heading_path),
    productLine: candidate.product_line,
    kind: candidate.kind,
    snippet: candidate.text.length > 240 ? `${candidate.text.slice(0, 240)}…` : candidate.text,
  };
}

function toExtractiveSource(candidate: Candidate, n: number) {
  let faqAnswer: string | undefined;
  if (candidate.kind === 'faq') {
    try {
      faqAnswer = (JSON.parse(candidate.metadata) as { answer?: string }).answer;
    } catch {
      faqAnswer = undefined;
    }
  }
  return { n, kind: candidate.kind, text: candidate.text, faqAnswer };
}

/** A manual's first heading is usually its title; showing "Title — Title > Section" says it twice. */
function headingBelowTitle(title: string, headingPath: string): string {
  const parts = headingPath.split(' > ');
  return parts[0] === title ? parts.slice(1).join(' > ') : headingPath;
}

const round = (value: number) => Math.round(value * 1000) / 1000;
