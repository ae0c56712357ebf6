import type { Request, Response } from 'express';
import type { AnswerDone, AnswerEvent, AnswerMeta, AnswerRequest, AnswerService } from '../answer/answer-service.js';
import { LlmError } from '../answer/chat-model.js';
import { AppError } from './http-error.js';
import type { ShedReason, Slots } from './admission.js';
import type { Drain } from './drain.js';

/** What every answering endpoint (`/v1/ask`, `/v1/chat/completions`) shares: LLM slots, cancellation, timeouts, drain. */
export interface AnswerRunSettings {
  answers: AnswerService;
  /** A non-streamed answer not ready in time gets 504; the model call is cancelled. Streams rely on the LLM timeouts. */
  requestTimeoutMs?: number;
  /** Concurrent LLM generations this process allows; a question that may need one waits for none. */
  llmSlots?: Slots;
  onShed?: (reason: ShedReason) => void;
  /** Graceful shutdown: long answers are cut at the drain deadline with a clean error. */
  drain?: Drain;
}

export interface PreparedAnswer {
  answerRequest: AnswerRequest;
  onDone?: (meta: AnswerMeta, done: AnswerDone) => Promise<void>;
}

/** How one endpoint writes the answer: its own wire format, the same lifecycle. */
export interface AnswerWriter {
  streaming: boolean;
  /** Each event in order; `done` comes after the record of the answer is kept. */
  event(event: AnswerEvent, meta: AnswerMeta | undefined): void;
  /** The shutdown drain's deadline came while answering: say so and end. */
  cut(error: { code: string; message: string; requestId: string }): void;
  /** A stream failed after it started: a last error frame. */
  failed(error: { code: string; message: string; requestId: string }): void;
  end(): void;
}

/**
 * Runs one answer for an HTTP request. Generated answers hold an LLM slot for the whole request: when all
 * are busy, say so at once (503) rather than queueing behind a model that is already saturated. A closed tab
 * or dropped connection cancels retrieval and, above all, the LLM generation.
 */
export async function runAnswer(request: Request, response: Response, settings: AnswerRunSettings, prepare: (signal: AbortSignal) => Promise<PreparedAnswer>, writer: () => AnswerWriter): Promise<void> {
  const releaseSlot = settings.answers.mode === 'generated' && settings.llmSlots ? settings.llmSlots.tryAcquire() : () => {};
  if (!releaseSlot) {
    settings.onShed?.('llm_busy');
    response.setHeader('Retry-After', '2');
    throw new AppError(503, 'llm_busy', 'All answer generators are busy; retry in a moment');
  }
  response.on('close', releaseSlot);
  const controller = new AbortController();
  response.on('close', () => {
    if (!response.writableFinished) controller.abort();
  });
  const { answerRequest, onDone } = await prepare(controller.signal);
  const out = writer();
  // At the end of a shutdown drain, a stream still running gets a final error event, then ends.
  const untrack = settings.drain?.track(() => {
    const error = { code: 'shutting_down', message: 'The service is restarting; please ask again in a moment', requestId: request.id };
    if (out.streaming) out.cut(error);
    else if (!response.headersSent) response.status(503).setHeader('Retry-After', '1').json({ error });
    controller.abort();
    out.end();
  });
  let timedOut = false;
  const timer =
    !out.streaming && settings.requestTimeoutMs
      ? setTimeout(() => {
          timedOut = true;
          controller.abort();
        }, settings.requestTimeoutMs)
      : undefined;
  let meta: AnswerMeta | undefined;
  try {
    for await (const event of settings.answers.answer(answerRequest, controller.signal)) {
      if (event.type === 'meta') meta = event.data;
      if (event.type === 'done') await onDone?.(meta!, event.data);
      out.event(event, meta);
    }
  } catch (error) {
    if (timedOut) throw new AppError(504, 'timeout', 'The answer took too long');
    // Cut by the shutdown drain, which already answered.
    if (controller.signal.aborted && response.headersSent && !out.streaming) return;
    if (error instanceof LlmError && error.kind === 'cancelled') return;
    if (!out.streaming) throw error;
    out.failed({ code: 'internal', message: 'The answer could not be completed', requestId: request.id });
    throw error;
  } finally {
    untrack?.();
    clearTimeout(timer);
    releaseSlot();
    out.end();
  }
}
