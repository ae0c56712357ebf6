import { createHmac, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Logger } from '../log.js';
import type { SharedState } from '../state/shared-state.js';
import { isPublicOnly, keyAudiences } from '../store/audiences.js';
import { languageTagSchema } from '../text/language.js';

/**
 * A visitor asking for a person (the widget's handoff form, offered with a refusal): kept complete for the
 * support team, who must be able to write back, and as a masked copy for analytics (which questions end with a
 * person, by product line and language). With a webhook set, each request is also posted to a helpdesk.
 */
export const handoffBody = z
  .object({
    name: z.string().trim().min(1, 'name is required').max(100),
    email: z.string().trim().max(254).email('email must be an e-mail address'),
    question: z.string().trim().min(1, 'question is required').max(4000),
    // Consent to be contacted and to have the details kept: required, and recorded with the request.
    consent: z.literal(true, { error: 'consent must be true: the visitor agrees to be contacted' }),
    sessionId: z.string().regex(/^[A-Za-z0-9_-]{8,128}$/).optional(),
    answerId: z.string().uuid().optional(),
    lang: languageTagSchema.optional(),
    productLine: z.string().max(32).optional(),
  })
  .strict();

export type HandoffRequest = z.infer<typeof handoffBody> & {
  id: string;
  at: string;
  channel: 'widget';
  /**
   * The audiences of the key that opened it, when not the public alone (an agent-assist key): the question may name
   * internal things, and so may the answer support records, which must not become a public suggestion.
   */
  audiences?: string[];
};

export const HANDOFF_LOG = 'handoffs';
export const HANDOFF_ANALYTICS_LOG = 'handoff_analytics';
/** How support answered handed-off questions (masked): POST /v1/admin/handoffs/:id/resolution. */
export const HANDOFF_RESOLUTION_LOG = 'handoff_resolutions';
/** Requests support closed (done with, answered or not): the support list's "closed" filter. */
export const HANDOFF_CLOSED_LOG = 'handoff_closed';
const HANDOFF_LOG_MAX = 100_000;

export type HandoffStatus = 'open' | 'closed';
/** A request as the support list shows it: open or closed, with the resolutions recorded for it. */
export type HandoffWithStatus = Record<string, unknown> & {
  id: string;
  status: HandoffStatus;
  closed?: { at: string; by: string };
  resolutions: { id: string; at: string; by: string; answer: string; question?: string; note?: string }[];
};

/** What support records when a handed-off question has been answered. */
export const handoffResolutionBody = z
  .object({
    /** The answer the customer was given. */
    answer: z.string().trim().min(1, 'answer is required').max(4000),
    /** The question as support understood it, when the customer's words were unclear. */
    question: z.string().trim().min(1).max(500).optional(),
    note: z.string().trim().max(2000).optional(),
  })
  .strict();
export type HandoffResolution = z.infer<typeof handoffResolutionBody>;

export interface WebhookSettings {
  url: string;
  /** Signs the body: `X-Kefu-Signature: sha256=<hex HMAC>`, so the helpdesk can tell it is from Kefu. */
  secret?: string;
  timeoutMs: number;
  attempts: number;
  /**
   * `kefu`: our own JSON for a helpdesk automation to read. `zendesk`: the body of Zendesk's ticket-create call
   * (`POST /api/v2/tickets.json`), so the URL can be the helpdesk's API itself and the ticket carries our id back.
   */
  format?: 'kefu' | 'zendesk';
  /** Sent as the `Authorization` header (a helpdesk API's credentials). */
  authorization?: string;
}

/** The tag that names a handoff on a helpdesk ticket, for helpdesks (or tickets) where the external id is taken. */
export const handoffTag = (id: string) => `kefu_${id}`;

/**
 * The webhook's body. As a Zendesk ticket, the handoff id travels as `external_id` and as a tag: Zendesk's ticket
 * events carry both back (`detail.external_id`, `detail.tags`), which is how an agent's reply finds its handoff.
 */
export function webhookBody(handoff: HandoffRequest, format: WebhookSettings['format'] = 'kefu'): string {
  if (format === 'kefu') return JSON.stringify({ type: 'kefu.handoff', handoff });
  const subject = handoff.question.length > 80 ? `${handoff.question.slice(0, 79)}…` : handoff.question;
  return JSON.stringify({
    ticket: {
      subject,
      comment: { body: handoff.question, public: true },
      requester: { name: handoff.name, email: handoff.email },
      external_id: handoff.id,
      tags: ['kefu', handoffTag(handoff.id), ...(handoff.productLine && handoff.productLine !== 'unknown' ? [`kefu_line_${handoff.productLine}`] : [])],
    },
  });
}

export class Handoffs {
  constructor(
    private readonly state: SharedState,
    private readonly logger: Logger,
    private readonly options: { mask?: (text: string) => string; webhook?: WebhookSettings; onWebhook?: (result: 'delivered' | 'failed') => void },
  ) {}

  async request(body: z.infer<typeof handoffBody>, audiences?: readonly string[]): Promise<HandoffRequest> {
    const handoff: HandoffRequest = { ...body, id: randomUUID(), at: new Date().toISOString(), channel: 'widget', ...(isPublicOnly(audiences) ? {} : { audiences: keyAudiences(audiences) }) };
    await this.state.appendLog(HANDOFF_LOG, { ...handoff }, 100_000);
    const mask = this.options.mask ?? ((text: string) => text);
    await this.state.appendLog(HANDOFF_ANALYTICS_LOG, { id: handoff.id, at: handoff.at, question: mask(handoff.question), lang: handoff.lang, productLine: handoff.productLine, answerId: handoff.answerId, channel: handoff.channel, audiences: handoff.audiences }, 100_000);
    // Delivered in the background: the visitor's confirmation must not wait on a helpdesk.
    if (this.options.webhook) void this.deliver(handoff, this.options.webhook);
    return handoff;
  }

  private async deliver(handoff: HandoffRequest, webhook: WebhookSettings): Promise<void> {
    const body = webhookBody(handoff, webhook.format);
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'kefu-handoff-webhook', 'x-kefu-delivery': handoff.id };
    if (webhook.authorization) headers.authorization = webhook.authorization;
    if (webhook.secret) headers['x-kefu-signature'] = `sha256=${createHmac('sha256', webhook.secret).update(body).digest('hex')}`;
    for (let attempt = 1; attempt <= webhook.attempts; attempt++) {
      let retryable = true;
      try {
        const response = await fetch(webhook.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(webhook.timeoutMs) });
        if (response.ok) {
          this.options.onWebhook?.('delivered');
          return;
        }
        // A 4xx other than 408/429 will not get better by retrying.
        retryable = response.status >= 500 || response.status === 408 || response.status === 429;
        this.logger.warn({ handoff: handoff.id, status: response.status, attempt, retryable }, 'handoff webhook failed');
      } catch (error) {
        this.logger.warn({ handoff: handoff.id, err: error, attempt }, 'handoff webhook failed');
      }
      if (!retryable) break;
      if (attempt < webhook.attempts) await new Promise((resolve) => setTimeout(resolve, 500 * 2 ** (attempt - 1)));
    }
    // Still in the admin API: the support team sees it there even when the helpdesk never got it.
    this.options.onWebhook?.('failed');
  }

  /** A request by id (from the support log, which keeps it whole), read newest first: a recent one costs a few entries. */
  async find(id: string): Promise<HandoffRequest | undefined> {
    return (await this.state.findLogEntry(HANDOFF_LOG, { id }, HANDOFF_LOG_MAX))?.entry as HandoffRequest | undefined;
  }

  /** One request as the support list shows it: with its status and resolutions. */
  async withStatusOf(handoff: HandoffRequest): Promise<HandoffWithStatus> {
    const [closed, resolutions] = await Promise.all([this.closing(handoff.id), this.state.readLog(HANDOFF_RESOLUTION_LOG, HANDOFF_LOG_MAX)]);
    return { ...handoff, status: closed ? 'closed' : 'open', ...(closed ? { closed } : {}), resolutions: resolutionsOf(resolutions).get(handoff.id) ?? [] };
  }

  /** Records how a request was answered, masked like the analytics copy: the answer may repeat the customer's details. */
  async resolve(handoff: HandoffRequest, resolution: HandoffResolution, by: string): Promise<{ id: string; at: string }> {
    const mask = this.options.mask ?? ((text: string) => text);
    const at = new Date().toISOString();
    const id = await this.state.appendLog(
      HANDOFF_RESOLUTION_LOG,
      { handoffId: handoff.id, at, by, answer: mask(resolution.answer), question: resolution.question ? mask(resolution.question) : undefined, note: resolution.note ? mask(resolution.note) : undefined },
      HANDOFF_LOG_MAX,
    );
    return { id, at };
  }

  async list(view: 'support' | 'analytics', count: number): Promise<Record<string, unknown>[]> {
    const entries = await this.state.readLog(view === 'support' ? HANDOFF_LOG : HANDOFF_ANALYTICS_LOG, count);
    return entries.map((item) => item.entry);
  }

  /** Marks a request closed (idempotent: closing it again keeps the first closing). */
  async close(handoff: HandoffRequest, by: string): Promise<{ at: string; by: string }> {
    const closed = await this.closing(handoff.id);
    if (closed) return closed;
    const at = new Date().toISOString();
    await this.state.appendLog(HANDOFF_CLOSED_LOG, { handoffId: handoff.id, at, by }, HANDOFF_LOG_MAX);
    return { at, by };
  }

  /** The support list with each request's status and resolutions, newest first; `status` keeps one kind. */
  async withStatus(count: number, status?: HandoffStatus): Promise<HandoffWithStatus[]> {
    const [requests, closings, resolutions] = await Promise.all([this.state.readLog(HANDOFF_LOG, count), this.closings(), this.state.readLog(HANDOFF_RESOLUTION_LOG, HANDOFF_LOG_MAX)]);
    const byHandoff = resolutionsOf(resolutions);
    return requests
      .map(({ entry }) => {
        const id = String(entry.id);
        const closed = closings.get(id);
        return { ...entry, id, status: closed ? ('closed' as const) : ('open' as const), ...(closed ? { closed } : {}), resolutions: byHandoff.get(id) ?? [] };
      })
      .filter((handoff) => !status || handoff.status === status)
      .reverse();
  }

  /** The request's closing, if any (the newest, as the support list shows). */
  private async closing(id: string): Promise<{ at: string; by: string } | undefined> {
    const found = await this.state.findLogEntry(HANDOFF_CLOSED_LOG, { handoffId: id }, HANDOFF_LOG_MAX);
    return found && { at: String(found.entry.at), by: String(found.entry.by) };
  }

  private async closings(): Promise<Map<string, { at: string; by: string }>> {
    const entries = await this.state.readLog(HANDOFF_CLOSED_LOG, HANDOFF_LOG_MAX);
    return new Map(entries.map(({ entry }) => [String(entry.handoffId), { at: String(entry.at), by: String(entry.by) }]));
  }
}

/** The resolutions log by request, oldest first. */
function resolutionsOf(entries: { id: string; entry: Record<string, unknown> }[]): Map<string, HandoffWithStatus['resolutions']> {
  const byHandoff = new Map<string, HandoffWithStatus['resolutions']>();
  for (const { id, entry } of entries) {
    const list = byHandoff.get(String(entry.handoffId)) ?? [];
    list.push({ id, at: String(entry.at), by: String(entry.by), answer: String(entry.answer), ...(entry.question ? { question: String(entry.question) } : {}), ...(entry.note ? { note: String(entry.note) } : {}) });
    byHandoff.set(String(entry.handoffId), list);
  }
  return byHandoff;
}
