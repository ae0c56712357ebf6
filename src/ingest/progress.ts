import type { LoadFailure } from './document.js';

export type IngestPhase = 'crawling' | 'loading' | 'embedding' | 'committing' | 'comparing' | 'calibrating' | 'gating' | 'done';

export interface ProgressReporter {
  /** Chunks embedded so far, of `total`. */
  update(done: number, total: number): void;
  finish(): void;
  phase?(phase: IngestPhase): void;
  /** Files read so far, of `total`. */
  files?(done: number, total: number): void;
  /** A file that failed to load (reported and skipped). */
  failure?(failure: LoadFailure): void;
}

/** One progress event as a service job sees it. */
export interface ProgressEvent {
  phase?: IngestPhase;
  files?: { done: number; total: number };
  chunks?: { done: number; total: number; perSecond: number };
  failure?: LoadFailure;
}

/**
 * Progress as JSON lines (`{"progress": …}`) on a stream: how an ingestion child process tells the service
 * that runs it as a job where it is. Chunk updates are throttled to a few per second.
 */
export function createJsonProgress(write: (line: string) => void = (line) => process.stderr.write(line)): ProgressReporter {
  let started = performance.now();
  let lastChunks = 0;
  const emit = (event: ProgressEvent) => write(`${JSON.stringify({ progress: event })}\n`);
  return {
    update(done, total) {
      if (done === 0) started = performance.now();
      const now = performance.now();
      if (done !== total && now - lastChunks < 250) return;
      lastChunks = now;
      emit({ chunks: { done, total, perSecond: Math.round((done / Math.max((now - started) / 1000, 1e-3)) * 10) / 10 } });
    },
    finish() {},
    phase: (phase) => emit({ phase }),
    files: (done, total) => emit({ files: { done, total } }),
    failure: (failure) => emit({ failure }),
  };
}

/**
 * A progress bar on a terminal, and plain log lines (about every 10%) anywhere else. It counts embeddings, not
 * chunks: with a model per language beside the primary one a chunk is embedded more than once, and "500/500
 * chunks" beside "333 chunks written" (and two different chunks/s) read as a miscount.
 */
export function createProgress(stream: NodeJS.WriteStream = process.stderr, label = 'embedding'): ProgressReporter {
  let started = performance.now();
  let lastLogged = -1;
  const rate = (done: number) => done / Math.max((performance.now() - started) / 1000, 1e-3);
  return {
    update(done, total) {
      // Rates count from the first batch, not from model loading.
      if (done === 0) started = performance.now();
      if (stream.isTTY) {
        const width = 30;
        const filled = total ? Math.round((done / total) * width) : width;
        stream.write(`\r${label} [${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${done}/${total} embeddings  ${rate(done).toFixed(1)} embeddings/s `);
        return;
      }
      const decile = total ? Math.floor((done / total) * 10) : 10;
      if (decile !== lastLogged) {
        lastLogged = decile;
        stream.write(`${label}: ${done}/${total} embeddings, ${rate(done).toFixed(1)} embeddings/s\n`);
      }
    },
    finish() {
      if (stream.isTTY) stream.write('\n');
    },
  };
}

export const silentProgress: ProgressReporter = { update() {}, finish() {} };
