import { HANDOFF_ANALYTICS_LOG } from '../handoff/handoffs.js';
import type { SharedState } from '../state/shared-state.js';
import { joinTurns, type LogItem } from './analytics.js';
import { type Correction, CORRECTIONS_LOG, INSIGHT_LOG_MAX_LENGTH, INTERACTIONS_LOG } from './interactions.js';

/** The logs the dashboard and conversation review read, from the shared state they are given (a workspace's view scopes them). */
export class InsightLogs {
  constructor(
    private readonly state: SharedState,
    /** Entries read per log: the window the charts can cover. */
    private readonly window = INSIGHT_LOG_MAX_LENGTH,
  ) {}

  private read(name: string): Promise<LogItem[]> {
    return this.state.readLog(name, this.window);
  }

  /** Every recorded turn joined with its thumbs and any handoff after it. */
  async turns() {
    const [interactions, feedback, handoffs] = await Promise.all([this.read(INTERACTIONS_LOG), this.read('feedback'), this.read(HANDOFF_ANALYTICS_LOG)]);
    return joinTurns(interactions, feedback, handoffs);
  }

  ratings = () => this.read('conversation_ratings');
  feedback = () => this.read('feedback');
  unanswered = () => this.read('unanswered');
  corrections = () => this.read(CORRECTIONS_LOG);

  async addCorrection(correction: Correction): Promise<string> {
    return this.state.appendLog(CORRECTIONS_LOG, { ...correction }, INSIGHT_LOG_MAX_LENGTH);
  }
}
