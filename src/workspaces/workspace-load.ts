/**
 * Requests in flight per workspace, counted where the dispatcher hands each `/v1/` request to its workspace: the one
 * place that sees every workspace's traffic before any of them does work for it.
 *
 * Two uses. A ceiling: while another workspace has requests in flight, one workspace holds at most `ceiling` of them
 * (alone, it has the deployment's MAX_IN_FLIGHT as before), and its excess is refused before its app parses a byte.
 * And who pays for the process's load: when the event loop lags or the model queue is full, only a workspace at or
 * over its share (the requests in flight over the busy workspaces) is shed; a quiet workspace is still admitted, so
 * the flood that causes the lag is what gets refused.
 */
export class WorkspaceLoad {
  private readonly inFlight = new Map<string, number>();
  private total = 0;
  private readonly shedders = new Map<string, () => boolean>();

  constructor(private readonly ceiling: number) {}

  /**
   * Counts a request of workspace `id` in; the returned function counts it out (once). Undefined when the workspace
   * is at its ceiling while another has requests in flight: the caller refuses the request.
   */
  enter(id: string): (() => void) | undefined {
    const mine = this.inFlight.get(id) ?? 0;
    if (mine >= this.ceiling && this.inFlight.size > (mine ? 1 : 0)) return undefined;
    this.inFlight.set(id, mine + 1);
    this.total++;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.total--;
      const now = (this.inFlight.get(id) ?? 1) - 1;
      if (now) this.inFlight.set(id, now);
      else this.inFlight.delete(id);
    };
  }

  /**
   * Whether workspace `id` bears the process's load: alone (no other workspace has requests in flight), or holding at
   * least an equal part of the requests in flight. Two workspaces flooding alike are both over; a workspace asking
   * one question at a time beside a flood is not.
   */
  overShare(id: string): boolean {
    const busy = this.inFlight.size;
    const mine = this.inFlight.get(id) ?? 0;
    if (busy - (mine ? 1 : 0) === 0) return true;
    return mine * busy >= this.total;
  }

  /**
   * A built workspace's load-shedding check (its admission: its own queue and in-flight count, the process's load if
   * it bears it), so the dispatcher refuses its answer requests before any of its routes runs. The returned function
   * removes it, unless a newer build of the workspace (reconfigured while the old one closes) has set its own since.
   */
  setShedder(id: string, shed: () => boolean): () => void {
    this.shedders.set(id, shed);
    return () => {
      if (this.shedders.get(id) === shed) this.shedders.delete(id);
    };
  }

  /** Whether workspace `id` sheds a new answer request now (false for one not built yet: its routes decide). */
  sheds(id: string): boolean {
    return this.shedders.get(id)?.() ?? false;
  }

  /** Requests in flight of one workspace (metrics, tests). */
  of(id: string): number {
    return this.inFlight.get(id) ?? 0;
  }
}
