/**
 * A FIFO semaphore: at most `concurrency` holders, the rest wait in order. Admission reads `queued` and
 * refuses new requests once the queue is full, so an admitted request waits for at most
 * `maxQueue / concurrency` others: latency stays bounded however much is offered.
 */
export class Gate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly concurrency: number) {}

  get queued(): number {
    return this.waiting.length;
  }

  /** Slots no one holds or waits for. */
  get free(): number {
    return Math.max(0, this.concurrency - this.running - this.waiting.length);
  }

  async acquire(): Promise<() => void> {
    if (this.running >= this.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running--;
      this.waiting.shift()?.();
    };
  }
}
