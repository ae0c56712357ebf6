/**
 * Times the named stages of one answer and tells observers, so the answer service composes stages and never reads
 * a clock itself. Each stage's milliseconds go into the answer's timings (`classifyMs`, `llmFirstTokenMs`…: what
 * the done event, the interaction log and `timings` in the API carry); a stage run twice (the two readings of a
 * follow-up) adds up. Observers (the Prometheus stage histogram) hear of every run of a stage as it ends.
 */

/** The answer path's stages, in the order an answer meets them. */
export type AnswerStage = 'classify' | 'queue' | 'curated' | 'embed' | 'retrieve' | 'rerank' | 'decide' | 'extract' | 'llm_first_token' | 'llm' | 'total';

export interface StageObserver {
  stage?(stage: AnswerStage, seconds: number): void;
}

/** A stage that spans yields (a streamed LLM call): started, then ended; `lap` times a stage within it from its start. */
export interface RunningStage {
  lap(stage: AnswerStage): void;
  end(): void;
}

/** `llm_first_token` → `llmFirstTokenMs`. */
export const timingKey = (stage: AnswerStage) => `${stage.replace(/_(\w)/g, (_, letter: string) => letter.toUpperCase())}Ms`;

export class StageClock {
  readonly timings: Record<string, number> = {};

  constructor(
    private readonly observer?: StageObserver,
    /** When the answer started: `total` is measured from it. */
    private readonly started = performance.now(),
  ) {}

  /** Runs a stage; its time counts only when it completes (a stage that throws ends the answer). */
  async stage<T>(stage: AnswerStage, work: () => T | Promise<T>): Promise<T> {
    const running = this.start(stage);
    const result = await work();
    running.end();
    return result;
  }

  start(stage: AnswerStage): RunningStage {
    const started = performance.now();
    return {
      lap: (inner) => this.record(inner, performance.now() - started),
      end: () => this.record(stage, performance.now() - started),
    };
  }

  /**
   * Adds time measured elsewhere to a timing (the retriever's own split of embedding, searches and fusion); observers
   * hear of it when `observe` is called, once for all the runs it sums.
   */
  add(key: string, milliseconds: number): void {
    this.timings[key] = (this.timings[key] ?? 0) + milliseconds;
  }

  /** Tells observers a stage's time as added so far. */
  observe(stage: AnswerStage): void {
    this.observer?.stage?.(stage, (this.timings[timingKey(stage)] ?? 0) / 1000);
  }

  /** A clock for work whose timings may be dropped (a retrieval a curated answer makes moot): same observers and start. */
  fork(): StageClock {
    return new StageClock(this.observer, this.started);
  }

  /** Takes a forked clock's timings as this answer's. */
  join(forked: StageClock): void {
    Object.assign(this.timings, forked.timings);
  }

  /** Ends the answer: `total` recorded and observed, every timing rounded to the microsecond. */
  finish(): Record<string, number> {
    this.record('total', performance.now() - this.started);
    for (const key of Object.keys(this.timings)) this.timings[key] = Math.round(this.timings[key] * 1000) / 1000;
    return this.timings;
  }

  private record(stage: AnswerStage, milliseconds: number): void {
    this.add(timingKey(stage), milliseconds);
    this.observer?.stage?.(stage, milliseconds / 1000);
  }
}
