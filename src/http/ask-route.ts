import { type Request, type RequestHandler, type Response, Router } from 'express';
import { z } from 'zod';
import type { AnswerDone, AnswerMeta, AnswerRequest, AnswerService } from '../answer/answer-service.js';
import { LlmError } from '../answer/chat-model.js';
import { isTimeZone } from '../answer/prompt-templates.js';
import type { ProductLineClassifier } from '../classify/product-lines.js';
import { AppError, badRequest } from '../errors.js';
import type { ShedReason, Slots } from './admission.js';
import type { Drain } from './drain.js';
import { SseWriter } from './sse.js';

export interface AskRouteOptions {
  answers: AnswerService;
  /** Rate limits, access control and the JSON body parser, in that order. */
  guards: RequestHandler[];
  classifier: ProductLineClassifier;
  maxQuestionChars: number;
  /** A non-streamed answer not ready in time gets 504; the model call is cancelled. Streams rely on the LLM timeouts. */
  requestTimeoutMs?: number;
  /** Concurrent LLM generations this process allows; a question that may need one waits for none. */
  llmSlots?: Slots;
  onShed?: (reason: ShedReason) => void;
  /** Turns the request into what the answer service needs (adds session history); identity by default. */
  /** Graceful shutdown: long answers are cut at the drain deadline with a clean error. */
  drain?: Drain;
  prepare?: (body: AskBody, signal: AbortSignal) => Promise<{ answerRequest: AnswerRequest; onDone?: (meta: AnswerMeta, done: AnswerDone) => Promise<void> }>;
}

export const askBodySchema = (maxQuestionChars: number) =>
  z
    .object({
      question: z.string().trim().min(1, 'question must not be empty').max(maxQuestionChars, `question must be at most ${maxQuestionChars} characters`),
      sessionId: z.string().regex(/^[A-Za-z0-9_-]{8,128}$/, 'sessionId must be 8–128 letters, digits, - or _').optional(),
      productLine: z.string().min(1).max(32).optional(),
      lang: z.enum(['zh', 'en']).optional(),
      stream: z.boolean().optional().default(false),
      // Context for the prompt: where the question comes from, and the customer's time zone and region.
      channel: z.enum(['widget', 'api']).optional(),
      timeZone: z.string().max(64).refine(isTimeZone, 'timeZone must be an IANA time zone such as Asia/Shanghai or America/New_York').optional(),
      region: z.string().regex(/^[A-Za-z]{2}$|^[0-9]{3}$/, 'region must be a two-letter region code such as CN or US').optional(),
    })
    .strict();

export type AskBody = z.infer<ReturnType<typeof askBodySchema>>;

/** POST /v1/ask: one question → SSE (`meta`, `token`…, `done`) or one JSON body with the same content. */
export function askRoute(options: AskRouteOptions): Router {
  const router = Router();
  const schema = askBodySchema(options.maxQuestionChars);
  router.post('/v1/ask', ...options.guards, async (request: Request, response: Response) => {
    if (!request.is('application/json')) throw badRequest('Send the question as JSON (Content-Type: application/json)');
    const body = schema.parse(request.body ?? {});
    if (body.productLine && body.productLine !== 'unknown' && !options.classifier.isKnownLine(body.productLine)) {
      throw badRequest(`Unknown productLine "${body.productLine}"; known: ${[...options.classifier.lineIds, options.classifier.rules.general.id].join(', ')}`);
    }
    // Generated answers hold an LLM slot for the whole request: when all are busy, say so at once (503)
    // rather than queueing behind a model that is already saturated.
    const releaseSlot = options.answers.mode === 'generated' && options.llmSlots ? options.llmSlots.tryAcquire() : () => {};
    if (!releaseSlot) {
      options.onShed?.('llm_busy');
      response.setHeader('Retry-After', '2');
      throw new AppError(503, 'llm_busy', 'All answer generators are busy; retry in a moment');
    }
    response.on('close', releaseSlot);
    // A closed tab or dropped connection cancels retrieval and, above all, the LLM generation.
    const controller = new AbortController();
    response.on('close', () => {
      if (!response.writableFinished) controller.abort();
    });
    const { answerRequest, onDone } = options.prepare
      ? await options.prepare(body, controller.signal)
      : {
          answerRequest: { question: body.question, lang: body.lang, productLine: body.productLine === 'unknown' ? undefined : body.productLine, channel: body.channel, timeZone: body.timeZone, region: body.region },
          onDone: undefined,
        };

    let meta: AnswerMeta | undefined;
    const sse = body.stream ? new SseWriter(response) : undefined;
    // At the end of a shutdown drain, a stream still running gets a final error event, then ends.
    const untrack = options.drain?.track(() => {
      const error = { code: 'shutting_down', message: 'The service is restarting; please ask again in a moment', requestId: request.id };
      if (sse) sse.send('error', error);
      else if (!response.headersSent) response.status(503).setHeader('Retry-After', '1').json({ error });
      controller.abort();
      sse?.end();
    });
    let timedOut = false;
    const timer =
      !sse && options.requestTimeoutMs
        ? setTimeout(() => {
            timedOut = true;
            controller.abort();
          }, options.requestTimeoutMs)
        : undefined;
    try {
      for await (const event of options.answers.answer(answerRequest, controller.signal)) {
        if (event.type === 'meta') meta = event.data;
        if (event.type === 'done') {
          await onDone?.(meta!, event.data);
          if (sse) sse.send('done', event.data);
          else response.json({ ...meta, ...event.data });
        } else sse?.send(event.type, event.data);
      }
    } catch (error) {
      if (timedOut) throw new AppError(504, 'timeout', 'The answer took too long');
      // Cut by the shutdown drain, which already answered.
      if (controller.signal.aborted && response.headersSent && !sse) return;
      if (error instanceof LlmError && error.kind === 'cancelled') return;
      if (!sse) throw error;
      sse.send('error', { code: 'internal', message: 'The answer could not be completed', requestId: request.id });
      throw error;
    } finally {
      untrack?.();
      clearTimeout(timer);
      releaseSlot();
      sse?.end();
    }
  });
  return router;
}
