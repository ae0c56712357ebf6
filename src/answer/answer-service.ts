import { randomUUID } from 'node:crypto';
import { type ProductLineClassifier, UNKNOWN_LINE } from '../classify/product-lines.js';
import type { HandoffContacts } from '../config/config.js';
import type { Candidate } from '../retrieve/fusion.js';
import { identifyLanguage, isKbLanguage, isTranslatedLanguage, kbLanguageFor, type Language, type LanguageCode } from '../text/language.js';
import type { AnswerCache } from './answer-cache.js';
import type { CuratedAnswers, CuratedMatch } from './curated.js';
import type { MissingDetails } from './missing-details.js';
import { type ChatModel, type ChatUsage, LlmError, type Sampling } from './chat-model.js';
import { groundPrompt, verifyCitations } from './grounding.js';
import { MESSAGES } from './messages.js';
import { handoffContactFor } from './handoff-contact.js';
import { answerLanguageNote, messagesFor, wrongAnswerLanguage } from './message-catalogue.js';
import type { PromptTurn } from './prompt.js';
import type { AnswerLength, Channel, PromptTemplates } from './prompt-templates.js';
import { FullWidthPunctuation } from '../text/punctuation.js';
import type { TokenCounter } from './token-budget.js';
import type { SourceUrls } from './source-urls.js';
import { type AnswerStage, StageClock } from './stage-clock.js';
import type { Band, Decision, Scope, Suggestion } from './stages.js';
import { AnswerPipeline, type AnswerPipelineOptions } from './answer-pipeline.js';
import { chunkTerms, contentTerms, termCoverage } from '../text/terms.js';
import { parseVerdict, VERDICT_SCHEMA, withVerdictInstruction } from './verdict.js';
import { isInternal, keyAudiences } from '../store/audiences.js';
import type { ImageRef } from '../store/chunk-media.js';

export interface AnswerRequest {
  question: string;
  /** The client's UI language (any ISO 639 code): only a hint, used when the question itself shows no language. */
  lang?: LanguageCode;
  /** A line the caller already knows (the widget's data-product-line); skips classification. */
  productLine?: string;
  /** Earlier turns of the conversation, oldest first. */
  history?: PromptTurn[];
  /** In a conversation: the question made standalone with its history, tried beside the question alone. */
  followUp?: FollowUpCandidate;
  /** Where the question came from: sets the answer length and what the prompt says of the channel. */
  channel?: Channel;
  /** The customer's IANA time zone and region, when the client knows them (the prompt's time and region). */
  timeZone?: string;
  region?: string;
  /**
   * The audiences the asker may see (their key's, docs/audiences.md): retrieval, the cache and curated answers
   * keep to them. Absent is the public alone, so a channel that does not say never reaches internal knowledge.
   */
  audiences?: readonly string[];
}

export interface FollowUpCandidate {
  /** The condensed question (by the LLM, or the question plus the previous turn's product terms). */
  question: string;
  /** Earlier user turns, classified with the question for its product line. */
  classificationContext: string;
  /** The question points back ("it", "那个", "…呢") or is too short to stand alone. */
  anaphoric: boolean;
  /** The question names a product line of its own: a new topic. */
  namesOwnLine: boolean;
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
  /** The document's public page, when it declares one or CITATION_URLS maps its path. */
  url?: string;
  /** Set on a source limited to audiences (not public): an agent-assist answer shows it as internal. */
  internal?: true;
  /** Images of the cited chunk (screenshots, diagrams), from its page's origin or SOURCE_IMAGE_ORIGINS. */
  images?: ImageRef[];
}

export type AnswerMode = 'generated' | 'extractive' | 'fallback' | 'refusal' | 'curated' | 'clarify' | 'suggest';

export interface AnswerMeta {
  answerId: string;
  /** The knowledge-base language the question is processed as (zh or en). */
  lang: Language;
  /** The customer's own language (ISO 639-1): the language of the reply, its notices and refusals. */
  language?: LanguageCode;
  productLine: string;
  productLineName: string | null;
  confidence: number;
  /** Below it: refused outright. */
  threshold: number;
  /** From it up: answered; between the two, the middle band (`suggest`, or the model judges). */
  answerThreshold?: number;
  sources: SourceInfo[];
  /** The knowledge version the answer comes from: a switch shows up here, and support can trace an answer back. */
  knowledgeVersion?: number;
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
  /** Set when a generated answer came back in another language than the customer's and was replaced by quotes. */
  wrongLanguage?: true;
  /** Served from the answer cache, without retrieval or LLM. */
  cached: boolean;
  usage: ChatUsage;
  timings: Record<string, number>;
  /** Set when the question shows an intent that needs the customer's data it lacks: the answer asks for it. */
  needs?: { intent: string; missing: string[] };
  /** Set when a curated answer was given: which entry, and how close the question came to it. */
  curated?: { id: string; similarity: number; matched: string; internal?: true };
  /** The middle band without a model (mode `suggest`): questions the knowledge base answers, for the customer to pick. */
  suggestions?: Suggestion[];
  /** The middle band with a model: its verdict on whether the sources answer ("decline" is a refusal). */
  verdict?: 'answer' | 'decline';
  /**
   * The question's best cosine to the knowledge base (its language's vector space): how on-topic it is at all. The
   * gaps report sets apart off-topic questions by it (src/insights/off-topic.ts).
   */
  similarity?: number;
}

/** What the answer cache keeps of an answer: everything but its id and timings, which belong to each request. */
export interface CachedAnswer {
  meta: Omit<AnswerMeta, 'answerId'>;
  done: Omit<AnswerDone, 'answerId' | 'timings'>;
}

export type AnswerEvent = { type: 'meta'; data: AnswerMeta } | { type: 'token'; data: { text: string } } | { type: 'done'; data: AnswerDone };

/** Hooks for metrics; the HTTP layer plugs Prometheus in, tests and scripts leave them out. */
export interface AnswerObserver {
  /** Each stage's time as it ends (stage-clock.ts). */
  stage?(stage: AnswerStage, seconds: number): void;
  /** `productLine` is always one the rules define (or general): a bounded metric label. */
  outcome?(mode: AnswerMode, details: { replacedUngrounded: boolean; llmError?: LlmError; productLine: string }): void;
  tokens?(usage: ChatUsage): void;
  cache?(hit: boolean): void;
  rerankFailed?(error: Error): void;
  /** The model's verdict in the middle band. */
  verdict?(verdict: 'answer' | 'decline', details: { productLine: string }): void;
  /** A generated answer in another language than the question's (replaced by quotes). */
  wrongLanguage?(expected: LanguageCode, got: LanguageCode): void;
}

/** The stages' settings (retriever, reranker, band, sources: answer-pipeline.ts) and what answering adds to them. */
export interface AnswerServiceOptions extends AnswerPipelineOptions {
  classifier: ProductLineClassifier;
  /** Undefined runs the service in extractive mode. */
  chatModel?: ChatModel;
  tokenCounter: TokenCounter;
  companyName: string;
  /** By customer language (handoff-contact.ts picks the one a customer is given). */
  handoffContact: HandoffContacts;
  contextTokens: number;
  maxAnswerTokens: number;
  sampling: Sampling;
  /** Public addresses of cited documents (their own, or CITATION_URLS). */
  sourceUrls?: SourceUrls;
  /** The system-prompt templates (knowledge/prompts) and the answer length per channel. */
  templates: PromptTemplates;
  answerLength: Record<Channel, AnswerLength>;
  observer?: AnswerObserver;
  cache?: AnswerCache<CachedAnswer>;
  /** The knowledge table version, part of every cache key. */
  knowledgeVersion?: () => Promise<number>;
  /** Bounds answers in their CPU-bound part (see Gate); admission sheds load by its queue. */
  cpuGate?: { acquire(): Promise<() => void> };
  /** Answers pinned by ops (curated.ts): a close match is answered at once, a looser one when the LLM fails. */
  curated?: Pick<CuratedAnswers, 'match' | 'settings' | 'revision'>;
  /** Intents that need the customer's data (knowledge/intents.yaml): the answer asks for what is missing. */
  missingDetails?: Pick<MissingDetails, 'check'>;
}

/** Answers this close to the threshold are not cached: the next asker should get a fresh decision. */
const CACHE_MARGIN = 0.1;
/** An anaphoric follow-up keeps its conversation unless the question alone retrieves clearly better. */
const FOLLOW_UP_MARGIN = 0.05;

/**
 * Question in, events out. The stages (stages.ts) in order: scope → retrieve → rerank → decide → select →
 * refuse, or answer (generated, or extractive without an LLM or when it fails) → verify citations. The HTTP
 * layer turns the events into SSE or one JSON body.
 */
export class AnswerService {
  /** The stages every answer runs, and `npm run eval` runs too. */
  readonly pipeline: AnswerPipeline;

  constructor(private readonly options: AnswerServiceOptions) {
    this.pipeline = new AnswerPipeline(options);
  }

  get mode(): 'generated' | 'extractive' {
    return this.options.chatModel ? 'generated' : 'extractive';
  }

  async *answer(request: AnswerRequest, signal?: AbortSignal): AsyncGenerator<AnswerEvent> {
    const o = this.options;
    const clock = new StageClock(o.observer);
    const answerId = randomUUID();
    // The reply's language is the question's; the client's language is only a fallback for text without letters.
    const customer = customerLanguage(request.question, request.lang);
    const audiences = keyAudiences(request.audiences);
    const lang = kbLanguageFor(customer);
    // One read of the knowledge version per answer (a call into LanceDB each): the threshold and the cache key
    // both follow it.
    const knowledgeVersion = await o.knowledgeVersion?.();
    // A question in another language is searched in the multilingual space: its own calibrated threshold.
    const band = await this.pipeline.band(customer, knowledgeVersion);
    const threshold = band.refuse;

    const ownScope = await clock.stage('classify', () => this.pipeline.scope(request.question, request.productLine));

    // Follow-ups depend on their conversation, so only standalone questions use the cache (and curated answers).
    const standalone = !request.history?.length;
    // The curated answers' revision is part of the key, so the cache may be read before matching them: an answer
    // cached before ops pinned one for the question is never served after.
    // The audiences are part of the key: an answer an agent's key got from internal sources never reaches a customer.
    const cacheKey = o.cache && knowledgeVersion !== undefined && standalone ? o.cache.key(request.question, ownScope.productLine, lang, knowledgeVersion, o.curated?.revision, audiences) : undefined;
    if (cacheKey) {
      const hit = await o.cache!.get(cacheKey);
      o.observer?.cache?.(Boolean(hit));
      if (hit) {
        yield { type: 'meta', data: { ...hit.meta, answerId } };
        yield { type: 'token', data: { text: hit.done.answer } };
        const timings = clock.finish();
        o.observer?.outcome?.(hit.done.mode, { replacedUngrounded: false, productLine: hit.done.productLine });
        yield { type: 'done', data: { ...hit.done, answerId, cached: true, timings } };
        return;
      }
    }

    // The CPU-bound part (embedding, retrieval, extractive composing) holds a slot of the answer gate;
    // cache hits above never wait for one, and a generated answer gives it back before the LLM call.
    const release = await clock.stage('queue', () => (o.cpuGate ? o.cpuGate.acquire() : () => {}));
    // Its own timings: a retrieval dropped for a curated answer must not write into that answer's.
    const retrievalClock = clock.fork();
    const retrieval = this.retrieveAndDecide(request, customer, ownScope, band, signal, retrievalClock, audiences);
    const settled = retrieval.then(
      () => undefined,
      () => undefined,
    );
    let dropped = false;
    try {
      // A question ops pinned an answer to is answered with it, without the model. Follow-ups are left to retrieval,
      // since "and the other one?" can be close to a pinned wording and mean something else. Matching embeds the
      // question, which retrieval does too: retrieval starts at once and both share the one embedding call, so the
      // full-text search is not held up behind the match (bench:ask, curated stage p50 7 ms at 10k). On a match, the
      // retrieval's result is dropped.
      if (o.curated && standalone) {
        const curated = o.curated;
        const match = await clock.stage('curated', () => curated.match(request.question, lang, { productLine: request.productLine, audiences }));
        if (match) {
          dropped = true;
          yield* this.curatedAnswer(match, { answerId, lang, knowledgeVersion, clock, threshold });
          return;
        }
      }
      const chosen = await retrieval;
      clock.join(retrievalClock);
      yield* this.answerFromRetrieval(request, signal, chosen, { answerId, lang, customer, band, clock, cacheKey, knowledgeVersion, release });
    } finally {
      // A dropped retrieval still uses the CPU until it ends: it keeps the gate's slot until then.
      if (dropped) void settled.then(release);
      else release();
    }
  }

  private async *answerFromRetrieval(
    request: AnswerRequest,
    signal: AbortSignal | undefined,
    chosen: Awaited<ReturnType<AnswerService['retrieveAndDecide']>>,
    context: { answerId: string; lang: Language; customer: LanguageCode; band: Band; clock: StageClock; cacheKey?: string; knowledgeVersion?: number; release: () => void },
  ): AsyncGenerator<AnswerEvent> {
    const o = this.options;
    const { pipeline } = this;
    const { answerId, lang, customer, band, clock, cacheKey, knowledgeVersion } = context;
    const threshold = band.answer;
    // The customer's texts: for Chinese and English the same as MESSAGES; other languages from the catalogue.
    const say = messagesFor(customer);
    // A person to turn to, in the same language as the sentence around it.
    const contact = handoffContactFor(o.handoffContact, customer);
    /** A quote's notice: in another language than the knowledge base's, it also says which language the quote is in. */
    const quoteNotice = (citations: SourceInfo[], kind: 'extractiveNotice' | 'fallbackNotice') => say[kind](kbLanguageFor(selected[(citations[0]?.n ?? 1) - 1]?.lang ?? 'en'));
    const { scope, decision } = chosen;
    const productLine = scope.productLine;
    const selected = pipeline.select(chosen.ranked);
    const sources = selected.map((candidate, index) => toSourceInfo(candidate, index + 1, this.options.sourceUrls));
    const line = o.classifier.rules.lines.find((candidate) => candidate.id === productLine);
    const meta: AnswerMeta = {
      answerId,
      lang,
      language: customer,
      productLine,
      productLineName: line ? line.names[lang] : productLine === o.classifier.rules.general.id ? o.classifier.rules.general.names[lang] : null,
      confidence: round(decision.answerability),
      threshold: round(band.refuse),
      answerThreshold: round(band.answer),
      sources,
      knowledgeVersion,
    };
    yield { type: 'meta', data: meta };

    const finish = async (done: Omit<AnswerDone, 'answerId' | 'productLine' | 'confidence' | 'timings' | 'cached'>, llmError?: LlmError): Promise<AnswerEvent> => {
      const timings = clock.finish();
      o.observer?.outcome?.(done.mode, { replacedUngrounded: done.replacedUngrounded, llmError, productLine });
      const data: AnswerDone = { ...done, answerId, productLine, confidence: round(decision.answerability), similarity: round(decision.evidence.dense), cached: false, timings };
      if (cacheKey && shouldCache(done, decision.answerability, threshold)) {
        const { answerId: _metaId, ...cachedMeta } = meta;
        const { answerId: _doneId, timings: _timings, ...cachedDone } = data;
        await o.cache!.set(cacheKey, { meta: cachedMeta, done: cachedDone });
      }
      return { type: 'done', data };
    };
    // "Where is my order?" without its number: whatever the sources say, the answer asks for it.
    const earlier = (request.history ?? []).filter((turn) => turn.role === 'user').map((turn) => turn.content);
    const detailRequest = o.missingDetails?.check(request.question, lang, earlier);
    const needs = detailRequest && { intent: detailRequest.intent, missing: detailRequest.missing };
    const withRequest = (text: string) => (detailRequest ? `${text}\n\n${detailRequest.text}` : text);
    const refuse = async function* () {
      // Nothing in the sources, but the customer's data would let a person help: ask for it instead of refusing.
      if (detailRequest) {
        const text = `${detailRequest.text}${say.detailsHandoff(contact)}`;
        yield { type: 'token', data: { text } } as AnswerEvent;
        yield await finish({ answer: text, mode: 'clarify', refused: false, notice: null, citations: [], replacedUngrounded: false, usage: {}, needs });
        return;
      }
      const text = say.refusal(contact);
      yield { type: 'token', data: { text } } as AnswerEvent;
      yield await finish({ answer: text, mode: 'refusal', refused: true, notice: null, citations: [], replacedUngrounded: false, usage: {} });
    };

    if (decision.outcome === 'refuse' || sources.length === 0) {
      yield* refuse();
      return;
    }

    // The middle band without a model: "did you mean", never a quote presented as the answer.
    const suggest = async function* () {
      const suggestions = await pipeline.suggest(chosen.ranked, lang);
      if (!suggestions.length) {
        yield* refuse();
        return;
      }
      // "Where is my order?" without its number: the suggestions, then the request for it.
      // In the customer's language: a question in another language has a middle band too (the cross-lingual model's).
      const text = withRequest(say.suggest(
        suggestions.map((suggestion) => suggestion.text),
        contact,
      ));
      yield { type: 'token', data: { text } } as AnswerEvent;
      yield await finish({ answer: text, mode: 'suggest', refused: false, notice: null, citations: [], replacedUngrounded: false, usage: {}, suggestions, needs });
    };

    const extractive = async () => {
      const result = await clock.stage('extract', () => pipeline.extract(request.question, customer, selected));
      return result && { text: result.text, citations: sources.filter((source) => result.used.includes(source.n)) };
    };

    if (decision.outcome === 'uncertain' && (!o.chatModel?.complete)) {
      yield* suggest();
      return;
    }

    if (!o.chatModel) {
      const quoted = await extractive();
      // Sources without a sentence to quote. (Whether the sources answer at all was the threshold's decision.)
      if (!quoted) {
        yield* refuse();
        return;
      }
      const text = withRequest(quoted.text);
      yield { type: 'token', data: { text } };
      yield await finish({ answer: text, mode: 'extractive', refused: false, notice: quoteNotice(quoted.citations, 'extractiveNotice'), citations: quoted.citations, replacedUngrounded: false, usage: {}, needs });
      return;
    }

    const grounded = groundPrompt({
      question: request.question,
      lang,
      productLine,
      sources: selected,
      history: request.history ?? [],
      companyName: o.companyName,
      rules: o.classifier.rules,
      // The language's own contact when there is one, else the knowledge base language's for the model to put in the customer's words.
      handoffContact: isTranslatedLanguage(customer) ? (o.handoffContact[customer] ?? o.handoffContact[lang]) : o.handoffContact[lang],
      templates: o.templates,
      audience: { channel: request.channel ?? 'api', timeZone: request.timeZone, region: request.region, answerLength: o.answerLength[request.channel ?? 'api'] },
      contextTokens: o.contextTokens,
      maxAnswerTokens: o.maxAnswerTokens,
      tokenCounter: o.tokenCounter,
      // The service asks for the missing details itself, after the answer: the model should not ask as well.
      note: [detailRequest ? MESSAGES.detailsNote[lang] : undefined, isKbLanguage(customer) ? undefined : answerLanguageNote(customer)].filter(Boolean).join('\n') || undefined,
    });

    context.release();
    if (decision.outcome === 'uncertain') {
      // The middle band with a model: it judges the sources, and says so as a parsable verdict.
      const judging = clock.start('llm');
      const judgeUsage: ChatUsage = {};
      let content: string | undefined;
      let judgeError: LlmError | undefined;
      try {
        content = await o.chatModel.complete!(withVerdictInstruction(grounded.messages, lang), { signal, maxTokens: o.maxAnswerTokens, ...o.sampling, schema: { name: 'verdict', schema: VERDICT_SCHEMA } }, judgeUsage);
      } catch (error) {
        judgeError = error instanceof LlmError ? error : new LlmError('bad-response', String(error), { cause: error });
        if (judgeError.kind === 'cancelled') throw judgeError;
      }
      judging.end();
      o.observer?.tokens?.(judgeUsage);
      const verdict = content === undefined ? undefined : parseVerdict(content);
      if (verdict) o.observer?.verdict?.(verdict.verdict, { productLine });
      if (verdict?.verdict === 'decline') {
        const text = say.refusal(contact);
        yield { type: 'token', data: { text } };
        yield await finish({ answer: text, mode: 'refusal', refused: true, notice: null, citations: [], replacedUngrounded: false, usage: judgeUsage, verdict: 'decline' });
        return;
      }
      const sourceTexts = new Map(selected.map((candidate, index) => [index + 1, `${candidate.title}\n${candidate.headingPath}\n${candidate.text}`]));
      const answerText = verdict ? (lang === 'zh' ? fullWidth(verdict.answer) : verdict.answer) : '';
      const cited = verdict && answerText.trim() ? verifyCitations(answerText, grounded.given, isKbLanguage(customer) ? sourceTexts : undefined) : undefined;
      // As for a streamed answer: one in another language than the customer's is counted, and not given.
      const wrong = cited && wrongAnswerLanguage(cited.text, customer);
      if (wrong) o.observer?.wrongLanguage?.(customer, wrong);
      const verified = wrong ? undefined : cited;
      if (!verified) {
        // No verdict (the call failed, or it was not one), an "answer" citing nothing it was given, or one in the wrong
        // language: the customer picks from suggestions, as without a model.
        yield* suggest();
        return;
      }
      const text = detailRequest ? `${verified.text}\n\n${detailRequest.text}` : verified.text;
      yield { type: 'token', data: { text } };
      const citations = verified.used.map((n) => sources[n - 1]).filter(Boolean);
      yield await finish({ answer: text, mode: 'generated', refused: false, notice: null, citations, replacedUngrounded: false, usage: judgeUsage, needs, verdict: 'answer' });
      return;
    }
    const generating = clock.start('llm');
    const usage: ChatUsage = {};
    let generated = '';
    let llmError: LlmError | undefined;
    // Chinese answers get full-width punctuation as they stream, whatever the model wrote (punctuation.ts).
    const punctuation = lang === 'zh' ? new FullWidthPunctuation() : undefined;
    try {
      for await (const delta of o.chatModel.stream(grounded.messages, { signal, maxTokens: o.maxAnswerTokens, ...o.sampling }, usage)) {
        if (!generated) generating.lap('llm_first_token');
        const text = punctuation ? punctuation.push(delta) : delta;
        generated += text;
        if (text) yield { type: 'token', data: { text } };
      }
      const rest = punctuation?.end();
      if (rest) {
        generated += rest;
        yield { type: 'token', data: { text: rest } };
      }
      if (detailRequest && generated.trim()) {
        const ask = `\n\n${detailRequest.text}`;
        generated += ask;
        yield { type: 'token', data: { text: ask } };
      }
    } catch (error) {
      llmError = error instanceof LlmError ? error : new LlmError('bad-response', String(error), { cause: error });
      if (llmError.kind === 'cancelled') throw llmError;
    }
    generating.end();
    o.observer?.tokens?.(usage);

    const sourceTexts = new Map(selected.map((candidate, index) => [index + 1, `${candidate.title}\n${candidate.headingPath}\n${candidate.text}`]));
    // A claim's words are checked against the source it cites; across languages (a Thai answer from English
    // sources) shared words say nothing, so only the citation numbers are checked, and the language below.
    let verified = llmError ? undefined : verifyCitations(generated, grounded.given, isKbLanguage(customer) ? sourceTexts : undefined);
    // Asked to answer in the customer's language from sources in another, a model may answer in the sources'
    // language: such an answer is counted and replaced by quotes with a notice the customer can read.
    const wrong = verified && wrongAnswerLanguage(verified.text, customer);
    if (wrong) {
      o.observer?.wrongLanguage?.(customer, wrong);
      verified = undefined;
    }
    if (!verified) {
      // The model failed: an answer ops pinned to a question like this one comes first.
      const curated =
        llmError && o.curated && !request.history?.length
          ? await o.curated.match(request.question, lang, { productLine: request.productLine, minimum: o.curated.settings.fallbackSimilarity[lang], audiences: keyAudiences(request.audiences) })
          : undefined;
      if (curated) {
        yield { type: 'token', data: { text: curated.entry.answer } };
        yield await finish({ answer: curated.entry.answer, mode: 'curated', refused: false, notice: say.curatedFallbackNotice, citations: [], replacedUngrounded: false, usage, curated: curatedInfo(curated) }, llmError);
        return;
      }
      // Or its answer cites nothing it was given: it cannot be shown as grounded. Quote instead.
      const quoted = await extractive();
      if (!quoted) {
        yield* refuse();
        return;
      }
      const mode = llmError ? 'fallback' : 'extractive';
      const notice = quoteNotice(quoted.citations, llmError ? 'fallbackNotice' : 'extractiveNotice');
      yield await finish({ answer: withRequest(quoted.text), mode, refused: false, notice, citations: quoted.citations, replacedUngrounded: !llmError, usage, needs, ...(wrong ? { wrongLanguage: true as const } : {}) }, llmError);
      return;
    }
    const citations = verified.used.map((n) => sources[n - 1]).filter(Boolean);
    yield await finish({ answer: verified.text, mode: 'generated', refused: false, notice: null, citations, replacedUngrounded: false, usage, needs });
  }

  private async *curatedAnswer(
    match: CuratedMatch,
    context: { answerId: string; lang: Language; knowledgeVersion?: number; clock: StageClock; threshold: number },
  ): AsyncGenerator<AnswerEvent> {
    const o = this.options;
    const { entry } = match;
    const productLine = entry.productLine ?? UNKNOWN_LINE;
    const line = o.classifier.rules.lines.find((candidate) => candidate.id === productLine);
    const confidence = round(match.similarity);
    yield {
      type: 'meta',
      data: { answerId: context.answerId, lang: context.lang, productLine, productLineName: line ? line.names[context.lang] : null, confidence, threshold: round(context.threshold), sources: [], knowledgeVersion: context.knowledgeVersion },
    };
    yield { type: 'token', data: { text: entry.answer } };
    const timings = context.clock.finish();
    o.observer?.outcome?.('curated', { replacedUngrounded: false, productLine: o.classifier.isKnownLine(productLine) ? productLine : o.classifier.rules.general.id });
    yield {
      type: 'done',
      data: {
        answerId: context.answerId,
        answer: entry.answer,
        mode: 'curated',
        refused: false,
        notice: null,
        citations: [],
        productLine,
        confidence,
        replacedUngrounded: false,
        cached: false,
        usage: {},
        timings,
        curated: curatedInfo(match),
      },
    };
  }

  /**
   * Retrieve, rerank and decide for the question alone and, in a conversation, for its condensed form;
   * then keep the reading the evidence supports (see `chooseFollowUp`).
   */
  private async retrieveAndDecide(
    request: AnswerRequest,
    customer: LanguageCode,
    ownScope: Scope,
    band: Band,
    signal: AbortSignal | undefined,
    clock: StageClock,
    audiences: readonly string[],
  ) {
    const o = this.options;
    const run = async (question: string, scope: Scope) => {
      // Only what the asker's audiences may see; the retriever's time split is observed once per answer, below.
      const { ranked, decision, rerankError } = await this.pipeline.run(question, scope, { customer, band, audiences, signal, clock });
      if (rerankError) o.observer?.rerankFailed?.(rerankError);
      return { question, scope, ranked, decision };
    };
    const followUp = request.followUp && !request.followUp.namesOwnLine ? request.followUp : undefined;
    const conversationScope = followUp && this.pipeline.scope(request.question, request.productLine, followUp.classificationContext);
    // "Does it support Android?" is about the previous turn's product whichever text retrieves better.
    // Both readings of a follow-up are retrieved at once: the second would otherwise wait for the first's searches.
    const [alone, condensed] = await Promise.all([run(request.question, followUp?.anaphoric ? conversationScope! : ownScope), followUp ? run(followUp.question, conversationScope!) : undefined]);
    const chosen = condensed ? chooseFollowUp(alone, condensed, followUp!.anaphoric, band.refuse) : alone;
    // "它多少钱？" after a swimming question: the condensed reading retrieves the swimming FAQ strongly on the borrowed
    // words, but nothing there is about what was asked. Then it is not a confident answer: the middle band, or a
    // refusal when the question alone is refused — never the previous answer again.
    if (chosen === condensed && chosen.decision.outcome === 'answer' && !findsOwnTerms(request.question, chosen.ranked)) {
      chosen.decision = { ...chosen.decision, outcome: alone.decision.outcome === 'refuse' ? 'refuse' : 'uncertain', answer: false };
    }
    clock.observe('embed');
    clock.observe('retrieve');
    return chosen;
  }
}

/**
 * Follow-up or new topic, decided on evidence. A question that points back ("does it…", "那个呢") keeps its
 * conversation unless the question alone retrieves clearly better. A question that does not point back
 * borrows the conversation only when it is answerable on its own topic too, so "What is the capital of
 * France?" after a wearables question is judged alone (and refused), while "How long does charging take?"
 * keeps the wearable it is about.
 */
export function chooseFollowUp<T extends { decision: Decision }>(alone: T, condensed: T, anaphoric: boolean, threshold: number): T {
  const a = alone.decision.answerability;
  const c = condensed.decision.answerability;
  if (anaphoric) return c >= a - FOLLOW_UP_MARGIN ? condensed : alone;
  return a >= threshold && c >= a - FOLLOW_UP_MARGIN ? condensed : alone;
}

/** Share of a follow-up's own key terms a top chunk must hold for its condensed reading to count as answering it. */
const OWN_TERMS_FOUND = 0.5;

/** Whether the top chunks say anything about the terms the question itself brings (not those borrowed from history). */
export function findsOwnTerms(question: string, ranked: Pick<Candidate, 'title' | 'headingPath' | 'text'>[]): boolean {
  const terms = contentTerms(question);
  if (terms.size === 0) return true;
  return ranked.slice(0, 3).some((candidate) => termCoverage(terms, chunkTerms(`${candidate.title}\n${candidate.headingPath}\n${candidate.text}`)) >= OWN_TERMS_FOUND);
}

const fullWidth = (text: string) => {
  const punctuation = new FullWidthPunctuation();
  return punctuation.push(text) + punctuation.end();
};

/** Refusals, fallbacks, replaced answers and answers near the threshold are not cached. */
export function shouldCache(done: Pick<AnswerDone, 'mode' | 'replacedUngrounded'>, answerability: number, threshold: number): boolean {
  return (done.mode === 'generated' || done.mode === 'extractive') && !done.replacedUngrounded && answerability - threshold >= CACHE_MARGIN;
}

/** The question's own language (ISO 639-1); the hint only when the question has no letters or Han characters at all. */
export function customerLanguage(question: string, hint?: LanguageCode): LanguageCode {
  if (hint && !/[\p{L}]/u.test(question)) return hint;
  return identifyLanguage(question);
}

/** The knowledge-base language the question is processed as (zh or en). */
export function questionLanguage(question: string, hint?: Language): Language {
  return kbLanguageFor(customerLanguage(question, hint));
}

function toSourceInfo(candidate: Candidate, n: number, urls?: SourceUrls): SourceInfo {
  const url = urls?.url({ sourcePath: candidate.sourcePath, docId: candidate.docId, metadata: candidate.metadata });
  const images = urls?.images({ metadata: candidate.metadata }, url) ?? [];
  return {
    ...(url ? { url } : {}),
    ...(images.length ? { images } : {}),
    n,
    chunkId: candidate.id,
    docId: candidate.docId,
    title: candidate.title,
    path: candidate.sourcePath,
    heading: headingBelowTitle(candidate.title, candidate.headingPath),
    productLine: candidate.productLine,
    kind: candidate.kind,
    snippet: candidate.text.length > 240 ? `${candidate.text.slice(0, 240)}…` : candidate.text,
    ...(isInternal(candidate.audiences) ? { internal: true as const } : {}),
  };
}

/** A manual's first heading is usually its title; showing "Title — Title > Section" says it twice. */
function headingBelowTitle(title: string, headingPath: string): string {
  const parts = headingPath.split(' > ');
  return parts[0] === title ? parts.slice(1).join(' > ') : headingPath;
}

const round = (value: number) => Math.round(value * 1000) / 1000;

const curatedInfo = (match: CuratedMatch) => ({ id: match.entry.id, similarity: round(match.similarity), matched: match.matched, ...(isInternal(match.entry.audiences) ? { internal: true as const } : {}) });
