/**
 * The answer gate (see src/gate.ts) shared by workspaces: at most `concurrency` answers in their CPU-bound part
 * across the deployment, and while another workspace has answers running or waiting, one workspace holds at most
 * `share` of the slots. A workspace alone gets every slot (a deployment with one workspace runs as before);
 * a flooded one keeps its share, and the slots it cannot take go to the others' waiters, in turn (round robin),
 * so one noisy workspace cannot starve the rest. Each workspace's queue is its own: admission sheds a workspace
 * by its own queue length, not by the others'.
 */
export class AnswerGates {
  private running = 0;
  private readonly workspaces = new Map<string, { running: number; waiting: (() => void)[] }>();
  /** Round robin: the workspace served first at the next admission moves on each time. */
  private turn = 0;

  constructor(
    private readonly concurrency: number,
    private readonly share: number,
  ) {}

  /** Answers holding a slot, all workspaces. */
  get active(): number {
    return this.running;
  }

  /** Answers waiting for a slot, all workspaces. */
  get queued(): number {
    let queued = 0;
    for (const workspace of this.workspaces.values()) queued += workspace.waiting.length;
    return queued;
  }

  /** One workspace's gate: what AnswerService and Admission take. */
  view(id: string): { acquire(): Promise<() => void>; readonly queued: number; readonly active: number } {
    const entry = () => this.entry(id);
    return {
      acquire: () => this.acquire(id),
      get queued() {
        return entry().waiting.length;
      },
      get active() {
        return entry().running;
      },
    };
  }

  /** Forgets a deleted workspace's (idle) entry. */
  forget(id: string): void {
    const workspace = this.workspaces.get(id);
    if (workspace && !workspace.running && !workspace.waiting.length) this.workspaces.delete(id);
  }

  private entry(id: string) {
    let workspace = this.workspaces.get(id);
    if (!workspace) {
      workspace = { running: 0, waiting: [] };
      this.workspaces.set(id, workspace);
    }
    return workspace;
  }

  /** The slots `id` may hold now: all of them alone, its share while another workspace runs or waits. */
  private capacity(id: string): number {
    for (const [other, workspace] of this.workspaces) {
      if (other !== id && (workspace.running || workspace.waiting.length)) return Math.max(1, Math.floor(this.concurrency * this.share));
    }
    return this.concurrency;
  }

  private async acquire(id: string): Promise<() => void> {
    const workspace = this.entry(id);
    this.admitWaiting();
    if (workspace.waiting.length || this.running >= this.concurrency || workspace.running >= this.capacity(id)) {
      await new Promise<void>((resolve) => workspace.waiting.push(resolve));
    } else {
      workspace.running++;
      this.running++;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      workspace.running--;
      this.running--;
      this.admitWaiting();
    };
  }

  /** Hands free slots to waiting workspaces in turn, each within its capacity (the slot is counted before it runs). */
  private admitWaiting(): void {
    let admitted = true;
    while (admitted && this.running < this.concurrency) {
      admitted = false;
      const ids = [...this.workspaces.keys()];
      for (let step = 0; step < ids.length && this.running < this.concurrency; step++) {
        const id = ids[(this.turn + step) % ids.length];
        const workspace = this.workspaces.get(id)!;
        if (!workspace.waiting.length || workspace.running >= this.capacity(id)) continue;
        workspace.running++;
        this.running++;
        workspace.waiting.shift()!();
        this.turn = (this.turn + step + 1) % ids.length;
        admitted = true;
        break;
      }
    }
  }
}
