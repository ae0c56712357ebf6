import type { NextFunction, Request, Response } from 'express';
import { AppError } from './http-error.js';

export type ShedReason = 'in_flight' | 'event_loop_lag' | 'inference_queue' | 'answer_queue' | 'llm_busy';

/**
 * Load shedding: when too many requests are in flight, or the event loop lags (the process is saturated),
 * a new request is refused at once with 503 and Retry-After instead of queueing for seconds behind the
 * others. Admitted requests keep their latency; refused ones learn it in milliseconds.
 */
export class Admission {
  private inFlight = 0;
  private lagMs = 0;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly options: {
      maxInFlight: number;
      maxEventLoopLagMs: number;
      /** Model inferences waiting for the CPU, and how many may wait before new requests are refused. */
      inferenceQueue?: { length: () => number; max: number };
      /** Answers waiting for a retrieval slot (see Gate), and how many may wait. */
      answerQueue?: { length: () => number; max: number };
      /**
       * Whether the process's load (event-loop lag, the shared model queue) is this workspace's to bear: false for a
       * quiet workspace beside a flooded one (src/workspaces/workspace-load.ts). Absent: always.
       */
      bearsProcessLoad?: () => boolean;
      /** The process's event-loop lag sampled elsewhere (a workspace's service reads the deployment's): no sampler of its own. */
      lagMs?: () => number;
      onShed?: (reason: ShedReason) => void;
    },
  ) {}

  /**
   * Samples event-loop lag every 100 ms: how late a timer fires is how long callbacks wait. The median of
   * the last five samples is what counts, so one long pause (loading a model) does not shed; a loop that
   * stays saturated does.
   */
  start(): this {
    if (this.options.lagMs) return this;
    const interval = 100;
    const samples: number[] = [];
    let expected = performance.now() + interval;
    this.timer = setInterval(() => {
      const now = performance.now();
      samples.push(Math.max(0, now - expected));
      if (samples.length > 5) samples.shift();
      this.lagMs = [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)];
      expected = now + interval;
    }, interval).unref();
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  get load() {
    return { inFlight: this.inFlight, eventLoopLagMs: Math.round(this.options.lagMs?.() ?? this.lagMs) };
  }

  private processLoad(): boolean {
    return this.options.bearsProcessLoad?.() ?? true;
  }

  /** Why a request would be shed now (counted as shed), or undefined: the middleware's check, for the dispatcher too. */
  refusal(): ShedReason | undefined {
    const queue = this.options.inferenceQueue;
    const answers = this.options.answerQueue;
    // Its own in-flight count and answer queue always apply; the process's signals only to a workspace bearing the load.
    const reason: ShedReason | undefined =
      this.inFlight >= this.options.maxInFlight
        ? 'in_flight'
        : answers && answers.length() >= answers.max
          ? 'answer_queue'
          : !this.processLoad()
            ? undefined
            : queue && queue.length() >= queue.max
              ? 'inference_queue'
              : (this.options.lagMs?.() ?? this.lagMs) > this.options.maxEventLoopLagMs
                ? 'event_loop_lag'
                : undefined;
    if (reason) this.options.onShed?.(reason);
    return reason;
  }

  middleware = (_request: Request, response: Response, next: NextFunction) => {
    if (this.refusal()) {
      response.setHeader('Retry-After', '1');
      throw new AppError(503, 'overloaded', 'The service is at capacity; retry in a moment');
    }
    this.inFlight++;
    let released = false;
    const release = () => {
      if (!released) this.inFlight--;
      released = true;
    };
    response.on('finish', release);
    response.on('close', release);
    next();
  };
}

/** A counting semaphore that never waits: a caller either gets a slot now or is told to come back. */
export class Slots {
  private used = 0;

  constructor(readonly limit: number) {}

  tryAcquire(): (() => void) | undefined {
    if (this.used >= this.limit) return undefined;
    this.used++;
    let released = false;
    return () => {
      if (!released) this.used--;
      released = true;
    };
  }

  get inUse(): number {
    return this.used;
  }
}
