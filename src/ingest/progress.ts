export interface ProgressReporter {
  update(done: number, total: number): void;
  finish(): void;
}

/** A progress bar with chunks/s on a terminal, and plain log lines (about every 10%) anywhere else. */
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
        stream.write(`\r${label} [${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${done}/${total} chunks  ${rate(done).toFixed(1)} chunks/s `);
        return;
      }
      const decile = total ? Math.floor((done / total) * 10) : 10;
      if (decile !== lastLogged) {
        lastLogged = decile;
        stream.write(`${label}: ${done}/${total} chunks, ${rate(done).toFixed(1)} chunks/s\n`);
      }
    },
    finish() {
      if (stream.isTTY) stream.write('\n');
    },
  };
}

export const silentProgress: ProgressReporter = { update() {}, finish() {} };
