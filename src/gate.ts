/**
 * A semaphore: at most `concurrency` holders, the rest wait. Admission reads `queued` and refuses new requests
 * once the queue is full, so an admitted request waits for at most `maxQueue / concurrency` others: latency stays
 * bounded however much is offered.
 *
 * Waiters may name a tenant (a workspace). One tenant's waiters are served first come first served, but a freed
 * slot goes to the waiting tenant with the fewest calls holding or waiting (the earliest waiter among equals): a
 * quiet tenant's call waits for the holders of the moment, not behind a flooded tenant's queue, and the flood is
 * served whenever the quiet ones have nothing waiting. Without tenants it is plain FIFO.
 *
 * The capacity may depend on the moment (a function): the inference gate lets a second model call run only
 * while one answer has the machine to itself. A capacity that grows lets waiters in at the next acquire or
 * release; one that shrinks lets holders finish and admits no one until they are under it.
 */
export class Gate {
  private running = 0;
  private waitingCount = 0;
  private sequence = 0;
  private readonly tenants = new Map<string, { running: number; waiting: { resolve: () => void; sequence: number }[] }>();
  private readonly capacity: () => number;

  constructor(concurrency: number | (() => number)) {
    this.capacity = typeof concurrency === 'number' ? () => concurrency : concurrency;
  }

  get queued(): number {
    return this.waitingCount;
  }

  /** Holders now. */
  get active(): number {
    return this.running;
  }

  /** Slots no one holds or waits for. */
  get free(): number {
    return Math.max(0, this.capacity() - this.running - this.waitingCount);
  }

  async acquire(tenant = ''): Promise<() => void> {
    const entry = this.tenant(tenant);
    this.admitWaiting();
    if (this.running >= this.capacity() || this.waitingCount) {
      this.waitingCount++;
      await new Promise<void>((resolve) => entry.waiting.push({ resolve, sequence: this.sequence++ }));
    } else {
      this.running++;
      entry.running++;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running--;
      entry.running--;
      if (!entry.running && !entry.waiting.length) this.tenants.delete(tenant);
      this.admitWaiting();
    };
  }

  private tenant(id: string) {
    let entry = this.tenants.get(id);
    if (!entry) {
      entry = { running: 0, waiting: [] };
      this.tenants.set(id, entry);
    }
    return entry;
  }

  /** Hands free slots to waiters: the least busy tenant first (the slot is counted as theirs before they run). */
  private admitWaiting(): void {
    const busy = (entry: { running: number; waiting: unknown[] }) => entry.running + entry.waiting.length;
    while (this.waitingCount && this.running < this.capacity()) {
      let next: { running: number; waiting: { resolve: () => void; sequence: number }[] } | undefined;
      for (const entry of this.tenants.values()) {
        if (!entry.waiting.length) continue;
        if (!next || busy(entry) < busy(next) || (busy(entry) === busy(next) && entry.waiting[0].sequence < next.waiting[0].sequence)) next = entry;
      }
      const waiter = next!.waiting.shift()!;
      this.waitingCount--;
      this.running++;
      next!.running++;
      waiter.resolve();
    }
  }
}
