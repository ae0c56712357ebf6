/**
 * A FIFO semaphore: at most `concurrency` holders, the rest wait in order. Admission reads `queued` and
 * refuses new requests once the queue is full, so an admitted request waits for at most
 * `maxQueue / concurrency` others: latency stays bounded however much is offered.
 *
 * The capacity may depend on the moment (a function): the inference gate lets a second model call run only
 * while one answer has the machine to itself. A capacity that grows lets waiters in at the next acquire or
 * release; one that shrinks lets holders finish and admits no one until they are under it.
 */
export class Gate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly capacity: () => number;

  constructor(concurrency: number | (() => number)) {
    this.capacity = typeof concurrency === 'number' ? () => concurrency : concurrency;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Holders now. */
  get active(): number {
    return this.running;
  }

  /** Slots no one holds or waits for. */
  get free(): number {
    return Math.max(0, this.capacity() - this.running - this.waiting.length);
  }

  async acquire(): Promise<() => void> {
    this.admitWaiting();
    if (this.running >= this.capacity() || this.waiting.length) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running--;
      this.admitWaiting();
    };
  }

  /** Hands free slots to waiters, first come first served (the slot is counted as theirs before they run). */
  private admitWaiting(): void {
    while (this.waiting.length && this.running < this.capacity()) {
      this.running++;
      this.waiting.shift()!();
    }
  }
}
