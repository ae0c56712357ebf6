import type { NextFunction, Request, Response } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AnswerObserver } from '../answer/answer-service.js';
import type { RetrievalObserver } from '../retrieve/hybrid-retriever.js';
import type { StateHealthObserver } from '../state/resilient-state.js';

/** Every Prometheus metric of one service instance, on its own registry (tests build several instances). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'kefu_process_' });
  // prom-client also names three gauges "…_total", which Prometheus reserves for counters (promtool rejects
  // the exposition). Their counts are in kefu_process_nodejs_active_{handles,requests,resources} already.
  for (const name of ['active_handles_total', 'active_requests_total', 'active_resources_total']) registry.removeSingleMetric(`kefu_process_nodejs_${name}`);
  const requests = new Counter({ name: 'kefu_http_requests_total', help: 'HTTP requests by route, method and status', labelNames: ['route', 'method', 'status'], registers: [registry] });
  const requestSeconds = new Histogram({ name: 'kefu_http_request_duration_seconds', help: 'HTTP request duration by route', labelNames: ['route'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers: [registry] });
  const stageSeconds = new Histogram({ name: 'kefu_answer_stage_duration_seconds', help: 'Answer pipeline stage durations (classify, queue, curated, embed, retrieve, rerank, decide, extract, llm_first_token, llm, total)', labelNames: ['stage'], buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers: [registry] });
  const answers = new Counter({ name: 'kefu_answers_total', help: 'Answers by mode (generated, extractive, fallback, refusal) and product line', labelNames: ['mode', 'product_line'], registers: [registry] });
  const refusals = new Counter({ name: 'kefu_refusals_total', help: 'Questions refused (answerability below the threshold, or nothing quotable), by product line', labelNames: ['product_line'], registers: [registry] });
  const verdicts = new Counter({ name: 'kefu_answer_verdicts_total', help: "The model's verdicts in the middle band (answer, decline: refused with the handoff), by product line", labelNames: ['verdict', 'product_line'], registers: [registry] });
  const rerankFailures = new Counter({ name: 'kefu_reranker_failures_total', help: 'Reranker calls that failed; the fused order was used', registers: [registry] });
  const sentenceMatchFallbacks = new Counter({
    name: 'kefu_sentence_match_fallbacks_total',
    help: 'Questions in another language whose sentence re-reading gave up, by reason (timeout, error); the fused order was used',
    labelNames: ['reason'],
    registers: [registry],
  });
  const fallbacks = new Counter({ name: 'kefu_llm_fallbacks_total', help: 'Extractive fallbacks after an LLM failure, by reason and product line', labelNames: ['reason', 'product_line'], registers: [registry] });
  const ungrounded = new Counter({ name: 'kefu_ungrounded_answers_replaced_total', help: 'Generated answers replaced because they cited no given source', registers: [registry] });
  const cache = new Counter({ name: 'kefu_answer_cache_total', help: 'Answer cache lookups by result', labelNames: ['result'], registers: [registry] });
  const embeddingCache = new Counter({ name: 'kefu_embedding_cache_total', help: 'Embeddings asked of the serving models, by whether the embedding cache had them', labelNames: ['result'], registers: [registry] });
  const embeddingLookups = (hits: number, misses: number) => {
    if (hits) embeddingCache.inc({ result: 'hit' }, hits);
    if (misses) embeddingCache.inc({ result: 'miss' }, misses);
  };
  const tokens = new Counter({ name: 'kefu_llm_tokens_total', help: 'LLM tokens by direction (prompt, completion)', labelNames: ['direction'], registers: [registry] });
  const stateUp = new Gauge({ name: 'kefu_shared_state_up', help: '1 while shared state (Redis) answers, 0 while degraded to process memory', registers: [registry] });
  const stateErrors = new Counter({ name: 'kefu_shared_state_errors_total', help: 'Failed shared-state operations by operation', labelNames: ['operation'], registers: [registry] });
  const ingestionRuns = new Counter({ name: 'kefu_ingestion_runs_total', help: 'Ingestion jobs started from the admin API, by result (success, partial, failed; conflict: another run held the lock, nothing started)', labelNames: ['result'], registers: [registry] });
  const ingestionSeconds = new Histogram({ name: 'kefu_ingestion_duration_seconds', help: 'Ingestion run duration', buckets: [1, 5, 15, 30, 60, 120, 300, 900], registers: [registry] });
  const ingestionRunning = new Gauge({ name: 'kefu_ingestion_running', help: '1 while this replica runs an ingestion job', registers: [registry] });
  const knowledgeVersion = new Gauge({ name: 'kefu_knowledge_version', help: 'Version of the knowledge table being served', registers: [registry] });
  const shed = new Counter({ name: 'kefu_shed_total', help: 'Requests refused with 503 to shed load, by reason (in_flight, event_loop_lag, llm_busy)', labelNames: ['reason'], registers: [registry] });
  const rateLimited = new Counter({ name: 'kefu_rate_limited_total', help: 'Requests refused by rate limits, by limit', labelNames: ['limit'], registers: [registry] });

  const emailReceived = new Counter({ name: 'kefu_email_received_total', help: 'E-mails taken in, by source (api, inbox); duplicates not counted', labelNames: ['source'], registers: [registry] });
  const emailDrafts = new Counter({ name: 'kefu_email_drafts_total', help: 'E-mail reply drafts, by review (held for a person, auto: sent without review, not_answered: automatic mail, our own, or past a reply cap)', labelNames: ['review'], registers: [registry] });
  const emailSent = new Counter({ name: 'kefu_email_sent_total', help: 'E-mail replies sent, or whose sending failed after every attempt', labelNames: ['result'], registers: [registry] });
  const emailDeadLetters = new Counter({ name: 'kefu_email_dead_letters_total', help: 'E-mail jobs that used up their attempts or could never succeed, by queue', labelNames: ['queue'], registers: [registry] });
  const handoffs = new Counter({ name: 'kefu_handoffs_total', help: 'Requests for a person sent through the widget form', registers: [registry] });
  const handoffWebhook = new Counter({ name: 'kefu_handoff_webhook_total', help: 'Handoff webhook deliveries, by result (delivered, failed after every attempt)', labelNames: ['result'], registers: [registry] });
  const helpdeskReplies = new Counter({
    name: 'kefu_helpdesk_replies_total',
    help: 'Helpdesk reply deliveries (POST /v1/helpdesk/*), by helpdesk and result (recorded, duplicate, an ignored reason, a refusal)',
    labelNames: ['helpdesk', 'result'],
    registers: [registry],
  });
  const emailObserver = {
    received: (source: string) => emailReceived.inc({ source }),
    drafted: (review: 'held' | 'auto' | 'not_answered') => emailDrafts.inc({ review }),
    sent: (result: 'sent' | 'failed') => emailSent.inc({ result }),
    deadLetter: (queue: string) => emailDeadLetters.inc({ queue }),
  };

  const answerObserver: AnswerObserver = {
    stage: (stage, seconds) => stageSeconds.observe({ stage }, seconds),
    outcome: (mode, details) => {
      const productLine = details.productLine;
      answers.inc({ mode, product_line: productLine });
      if (mode === 'refusal') refusals.inc({ product_line: productLine });
      // A quoted or curated answer in place of a failed LLM call.
      if (mode === 'fallback' || (details.llmError && mode !== 'refusal')) fallbacks.inc({ reason: details.llmError?.kind ?? 'unknown', product_line: productLine });
      if (details.replacedUngrounded) ungrounded.inc();
    },
    tokens: (usage) => {
      if (usage.promptTokens) tokens.inc({ direction: 'prompt' }, usage.promptTokens);
      if (usage.completionTokens) tokens.inc({ direction: 'completion' }, usage.completionTokens);
    },
    cache: (hit) => cache.inc({ result: hit ? 'hit' : 'miss' }),
    rerankFailed: () => rerankFailures.inc(),
    verdict: (verdict, details) => verdicts.inc({ verdict, product_line: details.productLine }),
  };
  const retrievalObserver: RetrievalObserver = { sentenceMatchFallback: (reason) => sentenceMatchFallbacks.inc({ reason }) };
  const stateObserver: StateHealthObserver = { up: (value) => stateUp.set(value), error: (operation) => stateErrors.inc({ operation }) };

  /** Counts requests by the matched route pattern (not the raw URL, which would explode label cardinality). */
  const httpMiddleware = (request: Request, response: Response, next: NextFunction) => {
    const end = requestSeconds.startTimer();
    response.on('finish', () => {
      // Only matched route patterns become labels: a raw path (any URL an outsider sends to a guarded
      // prefix) would make the label set, and /metrics, grow without bound.
      const route = request.route?.path ? `${request.baseUrl}${request.route.path}` : 'unmatched';
      requests.inc({ route, method: request.method, status: String(response.statusCode) });
      end({ route });
    });
    next();
  };

  return { registry, answerObserver, retrievalObserver, stateObserver, httpMiddleware, ingestionRuns, ingestionSeconds, ingestionRunning, knowledgeVersion, rateLimited, shed, embeddingLookups, emailObserver, handoffs, handoffWebhook, helpdeskReplies };
}

export type Metrics = ReturnType<typeof createMetrics>;
