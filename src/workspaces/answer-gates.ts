/**
 * The answer gate (see src/gate.ts) shared by workspaces: at most `concurrency` answers in their CPU-bound part
 * across the deployment, and while another workspace has answers running or waiting, or had one within
 * `recentMs`, one workspace holds at most `share` of the slots. A workspace alone gets every slot (a deployment
 * with one workspace runs as before); a flooded one keeps its share, and the slots it cannot take go to the
 * others' waiters, in turn (round robin), so one noisy workspace cannot starve the rest. Each workspace's queue is
 * its own: admission sheds a workspace by its own queue length, not by the others'.
 *
 * Why `recentMs`: a quiet workspace asks one question at a time, and between its answers it has nothing running or
 * waiting. Without the memory, a flood took every slot in that gap, and the quiet workspace's next question waited
 * for one of the flood's answers to end (bench:workspaces: B's queue p99 about 3 s under A's overload). With it,
 * the slot a workspace used a moment ago stays free for its next question. 10 s, not less: on a saturated machine
 * the time between one answer's end and the next question's start (the response written, the client's next request
 * read) reached 3 s at p99, and a 2 s memory let the flood back in (queue p99 1.5 s again). What it costs: a busy
 * workspace keeps to its share for 10 s after another's last answer, with slots idle if no one else comes.
 */
const RECENT_MS = 10_000;

export class AnswerGates {
  private running = 0;
  private readonly workspaces = new Map<string, { running: number; waiting: (() => void)[]; seenAt: number }>();
  /** Set while a workspace is held to its share only by another's recent answer: when that memory lapses, its waiters are let in. */
  private lapse?: NodeJS.Timeout;
  /** Round robin: the workspace served first at the next admission moves on each time. */
  private turn = 0;
  /**
   * Deleted workspaces whose entry is forgotten when their last answer ends: kept, its release's `seenAt` would
   * hold the others to their share for `recentMs`, and the entry would stay for good.
   */
  private readonly forgotten = new Set<string>();

  constructor(
    private readonly concurrency: number,
    private readonly share: number,
    private readonly options: { recentMs?: number; now?: () => number } = {},
  ) {}

  private now(): number {
    return this.options.now?.() ?? performance.now();
  }

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

  /** Forgets a deleted workspace's entry: now if idle, else when its last answer running or waiting ends. */
  forget(id: string): void {
    const workspace = this.workspaces.get(id);
    if (workspace && !workspace.running && !workspace.waiting.length) this.workspaces.delete(id);
    else if (workspace) this.forgotten.add(id);
    this.admitWaiting();
  }

  private entry(id: string) {
    let workspace = this.workspaces.get(id);
    if (!workspace) {
      workspace = { running: 0, waiting: [], seenAt: Number.NEGATIVE_INFINITY };
      this.workspaces.set(id, workspace);
    }
    return workspace;
  }

  /** The slots `id` may hold now: all of them alone, its share while another workspace runs, waits or just ran. */
  private capacity(id: string): number {
    const since = this.now() - (this.options.recentMs ?? RECENT_MS);
    for (const [other, workspace] of this.workspaces) {
      if (other !== id && (workspace.running || workspace.waiting.length || workspace.seenAt > since)) return Math.max(1, Math.floor(this.concurrency * this.share));
    }
    return this.concurrency;
  }

  /** When the last answer of any workspace was seen, `recentMs` on: the moment a share held by memory alone may grow. */
  private scheduleLapse(): void {
    if (this.lapse) return;
    let latest = Number.NEGATIVE_INFINITY;
    // Only a workspace with nothing running or waiting holds others back by memory alone (the rest release slots).
    for (const workspace of this.workspaces.values()) if (!workspace.running && !workspace.waiting.length) latest = Math.max(latest, workspace.seenAt);
    const wait = latest + (this.options.recentMs ?? RECENT_MS) - this.now();
    if (wait <= 0) return;
    this.lapse = setTimeout(() => {
      this.lapse = undefined;
      this.admitWaiting();
    }, wait + 1).unref();
  }

  private async acquire(id: string): Promise<() => void> {
    // Asked again: a workspace created again with the id.
    this.forgotten.delete(id);
    const workspace = this.entry(id);
    workspace.seenAt = this.now();
    this.admitWaiting();
    if (workspace.waiting.length || this.running >= this.concurrency || workspace.running >= this.capacity(id)) {
      await new Promise<void>((resolve) => {
        workspace.waiting.push(resolve);
        if (this.running < this.concurrency) this.scheduleLapse();
      });
    } else {
      workspace.running++;
      this.running++;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      workspace.seenAt = this.now();
      workspace.running--;
      this.running--;
      if (this.forgotten.has(id) && !workspace.running && !workspace.waiting.length && this.workspaces.get(id) === workspace) {
        this.forgotten.delete(id);
        this.workspaces.delete(id);
      }
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
    // Waiters left behind free slots are held by a share: if only another workspace's recent answer holds them, they
    // are let in when that memory lapses, even if nothing else happens meanwhile.
    if (this.running < this.concurrency && this.queued) this.scheduleLapse();
  }
}
