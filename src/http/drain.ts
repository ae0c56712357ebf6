import type { NextFunction, Request, Response } from 'express';

/**
 * Graceful shutdown for the HTTP side. `start()` turns readiness off (the load balancer stops sending)
 * and asks clients to close their connections; `settle()` waits for requests in flight, up to a deadline,
 * then cuts what is still running: an answer stream gets a final `error` event rather than a silent end.
 */
export class Drain {
  private active = 0;
  private readonly cutters = new Set<() => void>();
  private idle?: () => void;
  draining = false;

  start(): void {
    this.draining = true;
  }

  /** Counts requests in flight; while draining, every response tells its client to reconnect elsewhere. */
  middleware = (_request: Request, response: Response, next: NextFunction) => {
    this.active++;
    if (this.draining) response.setHeader('Connection', 'close');
    let counted = true;
    const done = () => {
      if (!counted) return;
      counted = false;
      this.active--;
      if (this.active === 0) this.idle?.();
    };
    response.on('finish', done);
    response.on('close', done);
    next();
  };

  get inFlight(): number {
    return this.active;
  }

  /** Registers how to cut one long request at the deadline; returns the unregister function. */
  track(cut: () => void): () => void {
    this.cutters.add(cut);
    return () => this.cutters.delete(cut);
  }

  /** Resolves when nothing is in flight, or at the deadline after cutting what still runs. Returns how many were cut. */
  async settle(deadlineMs: number): Promise<number> {
    if (this.active > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadlineMs);
        this.idle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    const cut = this.cutters.size;
    for (const cutter of [...this.cutters]) cutter();
    // Give the cut responses a moment to flush their last event.
    if (cut) await new Promise((resolve) => setTimeout(resolve, 200));
    return cut;
  }
}
