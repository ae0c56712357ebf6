import { createHash } from 'node:crypto';
import type { RedisConnection } from '../state/redis-connection.js';
import type { ReviewReason } from './review-rules.js';
import type { ReplyDraft } from './compose-reply.js';

/**
 * Where the e-mail channel keeps its records, in Redis beside the queue: each received message (raw, complete:
 * it is the mail itself), the draft replying to it with every reviewer action, and each thread's messages for
 * the next reply's history. Keys expire after the retention period; nothing lives only in a process.
 */
// not_answered: automatic mail, our own, or past a reply cap (mail-loops.ts); recorded with its reason, nothing drafted or sent.
export type DraftState = 'pending_review' | 'approved' | 'sent' | 'send_failed' | 'rejected' | 'not_answered';
export const DRAFT_STATES: readonly DraftState[] = ['pending_review', 'approved', 'sent', 'send_failed', 'rejected', 'not_answered'];

export interface EmailRecord {
  id: string;
  messageId: string;
  source: 'api' | 'inbox';
  receivedAt: string;
  size: number;
  state: 'queued' | 'drafted' | 'failed';
  error?: string;
  /** Who submitted it (the key id) for API intake. */
  by?: string;
}

export interface DraftEvent {
  at: string;
  action: 'drafted' | 'approved' | 'auto_approved' | 'rejected' | 'sent' | 'send_failed' | 'not_answered';
  /** The API key id of the reviewer, or `kefu` for the service itself. */
  by: string;
  /** What the reviewer changed, or why a send failed. */
  details?: Record<string, unknown>;
}

export interface DraftRecord {
  id: string;
  emailId: string;
  messageId: string;
  threadKey: string;
  references: string[];
  from: { address: string; name: string };
  replyTo: string;
  subject: string;
  receivedAt: string;
  lang: 'zh' | 'en';
  /** The customer's new text, and what was separated from it. */
  customerText: string;
  quoted: string;
  signature: string;
  attachments: { filename: string; contentType: string; size: number }[];
  answer: { answerId: string; mode: string; refused: boolean; confidence: number; productLine: string; citations: { n: number; title: string; heading: string }[] };
  /** The reply as drafted; `final` once a reviewer approved it (edited or not). */
  draft: ReplyDraft;
  final?: ReplyDraft;
  review: { required: boolean; reasons: ReviewReason[] };
  /** The holding reply of a refusal: a person must take the conversation over. */
  handoff: boolean;
  state: DraftState;
  events: DraftEvent[];
  sendAttempts: number;
  sent?: { messageId: string; at: string; accepted: string[] };
  sendError?: string;
  /** Why nothing was drafted (state `not_answered`): a code of mail-loops.ts and its label. */
  notAnswered?: { code: string; label: string };
  createdAt: string;
  updatedAt: string;
}

export interface ThreadMessage {
  messageId: string;
  role: 'customer' | 'support';
  text: string;
  at: string;
}

const COMPARE_AND_SET = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
  return 1
end
return 0
`;

// A sliding window of the mail counted against one sender or thread: members are email ids (a job run twice counts
// once), scored by arrival; returns how many arrived in the window up to and including this one.
const COUNT_IN_WINDOW = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[2]) - tonumber(ARGV[3]))
redis.call('ZADD', KEYS[1], 'NX', ARGV[2], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
return redis.call('ZCOUNT', KEYS[1], '-inf', score)
`;

/**
 * The inbox an address reaches, for the per-sender cap: lower case, without a "+tag" in the local part. Plus-addressed
 * mail lands in the one inbox at the large providers, so one tag after another must not reset the cap.
 */
const mailbox = (address: string) => address.toLowerCase().replace(/^([^@+]+)\+[^@]*@/, '$1@');

const hash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 32);

export class EmailStore {
  constructor(
    private readonly redis: RedisConnection,
    private readonly prefix: string,
    private readonly retentionSeconds: number,
  ) {}

  private key(...parts: string[]) {
    return `${this.prefix}email:${parts.join(':')}`;
  }

  /** Claims a Message-ID for a new email id; an id already holding it comes back instead (the same mail twice). */
  async claimMessage(messageId: string, id: string): Promise<string | undefined> {
    const key = this.key('message', hash(messageId));
    if (await this.redis.set(key, id, 'EX', this.retentionSeconds, 'NX')) return undefined;
    return (await this.redis.get(key)) ?? undefined;
  }

  async reclaimMessage(messageId: string, id: string): Promise<void> {
    await this.redis.set(this.key('message', hash(messageId)), id, 'EX', this.retentionSeconds);
  }

  async saveEmail(record: EmailRecord, raw: Buffer): Promise<void> {
    await this.redis
      .multi()
      .set(this.key('raw', record.id), raw, 'EX', this.retentionSeconds)
      .set(this.key('received', record.id), JSON.stringify(record), 'EX', this.retentionSeconds)
      .zadd(this.key('received'), Date.parse(record.receivedAt), record.id)
      .exec();
  }

  async email(id: string): Promise<EmailRecord | undefined> {
    const text = await this.redis.get(this.key('received', id));
    return text ? (JSON.parse(text) as EmailRecord) : undefined;
  }

  async raw(id: string): Promise<Buffer | undefined> {
    return (await this.redis.getBuffer(this.key('raw', id))) ?? undefined;
  }

  async updateEmail(id: string, patch: Partial<EmailRecord>): Promise<void> {
    const record = await this.email(id);
    if (record) await this.redis.set(this.key('received', id), JSON.stringify({ ...record, ...patch }), 'EX', this.retentionSeconds);
  }

  /** Saves a new draft unless one exists for this email (a job run again after a crash drafts nothing twice). */
  async createDraft(draft: DraftRecord): Promise<boolean> {
    const created = await this.redis.set(this.key('draft', draft.id), JSON.stringify(draft), 'EX', this.retentionSeconds, 'NX');
    if (!created) return false;
    const now = Date.now();
    await this.redis.multi().zadd(this.key('drafts'), Date.parse(draft.createdAt), draft.id).zremrangebyscore(this.key('drafts'), 0, now - this.retentionSeconds * 1000).exec();
    return true;
  }

  async draft(id: string): Promise<DraftRecord | undefined> {
    const text = await this.redis.get(this.key('draft', id));
    return text ? (JSON.parse(text) as DraftRecord) : undefined;
  }

  /** Newest first, optionally in one state. */
  async drafts(options: { state?: DraftState; limit: number }): Promise<DraftRecord[]> {
    const found: DraftRecord[] = [];
    const batch = 200;
    for (let start = 0; found.length < options.limit; start += batch) {
      const ids = await this.redis.zrevrange(this.key('drafts'), start, start + batch - 1);
      if (!ids.length) break;
      const texts = await this.redis.mget(ids.map((id) => this.key('draft', id)));
      for (const text of texts) {
        if (!text) continue;
        const draft = JSON.parse(text) as DraftRecord;
        if (!options.state || draft.state === options.state) found.push(draft);
        if (found.length >= options.limit) break;
      }
    }
    return found;
  }

  /**
   * Changes a draft only from the states given, atomically (compare-and-set): two reviewers approving at once, or a
   * reviewer and a send retry, cannot both win. Returns the new record, or the current one with `changed: false`.
   */
  async transition(id: string, from: readonly DraftState[], change: (draft: DraftRecord) => DraftRecord): Promise<{ draft?: DraftRecord; changed: boolean }> {
    const key = this.key('draft', id);
    for (let attempt = 0; attempt < 10; attempt++) {
      const text = await this.redis.get(key);
      if (!text) return { changed: false };
      const current = JSON.parse(text) as DraftRecord;
      if (!from.includes(current.state)) return { draft: current, changed: false };
      const next = { ...change(current), updatedAt: new Date().toISOString() };
      // Compare-and-set in one script: WATCH would not be safe on a connection that other requests share.
      if (await this.redis.eval(COMPARE_AND_SET, 1, key, text, JSON.stringify(next))) return { draft: next, changed: true };
    }
    throw new Error(`draft ${id} kept changing; try again`);
  }

  /**
   * Counts a received mail against a reply cap (per sender, per thread) in a sliding window, in Redis so every
   * replica and worker counts together. Returns the mail's place in the window (1 = the first).
   */
  async countInWindow(kind: 'sender' | 'thread', who: string, emailId: string, windowSeconds: number, now = Date.now()): Promise<number> {
    const counted = kind === 'sender' ? mailbox(who) : who.toLowerCase();
    return Number(await this.redis.eval(COUNT_IN_WINDOW, 1, this.key('cap', kind, hash(counted)), emailId, String(now), String(Math.round(windowSeconds * 1000))));
  }

  /** Adds a message to its thread (by Message-ID, so adding it again changes nothing). */
  async addToThread(threadKey: string, message: ThreadMessage): Promise<void> {
    const key = this.key('thread', hash(threadKey));
    await this.redis.multi().hset(key, message.messageId, JSON.stringify(message)).expire(key, this.retentionSeconds).exec();
  }

  async thread(threadKey: string): Promise<ThreadMessage[]> {
    const entries = await this.redis.hvals(this.key('thread', hash(threadKey)));
    return entries.map((entry) => JSON.parse(entry) as ThreadMessage).sort((a, b) => a.at.localeCompare(b.at));
  }
}
