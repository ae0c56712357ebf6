/**
 * TEST DOUBLE — not Zendesk's servers. A local HTTP server playing both sides of a Zendesk Support account for a
 * handoff: the Tickets API that Kefu's webhook calls (`POST /api/v2/tickets.json` with `{ ticket: { subject,
 * comment: { body }, requester: { name, email }, external_id, tags } }`, Basic auth `{email}/token:{api_token}`
 * checked, 201 `{ ticket }`, 422 `RecordInvalid` without a comment body), and a webhook subscribed to the ticket
 * event `zen:event-type:ticket.comment_added` that posts each new comment to a target URL the way Zendesk
 * documents it: the event JSON (`type`, `account_id`, `id`, `time`, `zendesk_event_version`, `subject:
 * "zen:ticket:<id>"`, `detail` = the ticket with ids as strings and `external_id` a string, `event.comment` =
 * `{ id, body, is_public, author: { id, is_staff, name } }`), and the headers `X-Zendesk-Webhook-Id`,
 * `X-Zendesk-Webhook-Invocation-Id`, `X-Zendesk-Webhook-Signature-Timestamp` (ISO 8601, seconds) and
 * `X-Zendesk-Webhook-Signature` = base64(HMAC-SHA256(signing secret, timestamp + body)), computed here on its own.
 */
import { createHmac, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LocalHttpDouble } from './local-http-double.js';

export interface ZendeskTicket {
  id: number;
  subject: string;
  description: string;
  external_id: string | null;
  tags: string[];
  requester: { name: string; email: string };
  status: string;
}

/** One webhook request as sent: what a test may send again (a retry) or alter (a forgery). */
export interface ZendeskDelivery {
  headers: Record<string, string>;
  body: string;
}

const AGENT = { id: 8_447_388_090_495, name: 'Wang Fang' };
const CUSTOMER = { id: 8_447_388_090_777, name: 'Li Lei' };

export class ZendeskHelpdeskDouble extends LocalHttpDouble {
  readonly tickets: ZendeskTicket[] = [];
  private nextTicket = 5158;
  private nextComment = 9_876_543_210;
  private invocation = 8_350_205_582;
  readonly webhookId = '01F1KRFQ6BG29CNWFR60NK5FNY';

  constructor(private readonly options: { agentEmail: string; apiToken: string; signingSecret: string; accountId?: number }) {
    super();
  }

  /** The `Authorization` header Zendesk's API takes for an API token. */
  get authorization(): string {
    return `Basic ${Buffer.from(`${this.options.agentEmail}/token:${this.options.apiToken}`).toString('base64')}`;
  }

  protected async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      response.end(JSON.stringify(body));
    };
    if (request.method !== 'POST' || request.url !== '/api/v2/tickets.json') return send(404, { error: 'InvalidEndpoint', description: 'Not found' });
    if (request.headers.authorization !== this.authorization) return send(401, { error: "Couldn't authenticate you" });
    const { ticket } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { ticket: Record<string, unknown> & { comment?: { body?: string }; requester?: { name: string; email: string } } };
    if (!ticket?.comment?.body) return send(422, { error: 'RecordInvalid', description: 'Record validation errors', details: { description: [{ description: 'Description: cannot be blank' }] } });
    const created: ZendeskTicket = {
      id: this.nextTicket++,
      subject: String(ticket.subject ?? ''),
      description: ticket.comment.body,
      external_id: typeof ticket.external_id === 'string' ? ticket.external_id : null,
      tags: Array.isArray(ticket.tags) ? ticket.tags.map(String) : [],
      requester: ticket.requester ?? { name: '', email: '' },
      status: 'new',
    };
    this.tickets.push(created);
    send(201, { ticket: { ...created, url: `${this.base}/api/v2/tickets/${created.id}.json` } });
  }

  /** A ticket made by hand in Zendesk (not by Kefu): no external id, no Kefu tag. */
  openTicketByHand(subject: string): ZendeskTicket {
    const ticket: ZendeskTicket = { id: this.nextTicket++, subject, description: subject, external_id: null, tags: [], requester: { name: CUSTOMER.name, email: 'li.lei@example.cn' }, status: 'new' };
    this.tickets.push(ticket);
    return ticket;
  }

  /**
   * A comment added to a ticket, as the webhook would post it: `public: false` is an internal note, `byCustomer` the
   * requester's own reply. `signedAt` moves the signature's timestamp; `secret` signs with another secret.
   */
  commentEvent(ticket: ZendeskTicket, body: string, options: { public?: boolean; byCustomer?: boolean; signedAt?: Date; secret?: string } = {}): ZendeskDelivery {
    const author = options.byCustomer ? { ...CUSTOMER, is_staff: false } : { ...AGENT, is_staff: true };
    const now = options.signedAt ?? new Date();
    const event = {
      type: 'zen:event-type:ticket.comment_added',
      account_id: this.options.accountId ?? 22_129_848,
      id: randomUUID(),
      time: now.toISOString(),
      zendesk_event_version: '2022-11-06',
      subject: `zen:ticket:${ticket.id}`,
      detail: {
        actor_id: String(author.id),
        assignee_id: String(AGENT.id),
        created_at: now.toISOString(),
        description: ticket.description,
        external_id: ticket.external_id ?? '',
        id: String(ticket.id),
        is_public: true,
        priority: 'NORMAL',
        requester_id: String(CUSTOMER.id),
        status: ticket.status.toUpperCase(),
        subject: ticket.subject,
        tags: ticket.tags,
        type: 'QUESTION',
        updated_at: now.toISOString(),
        via: { channel: 'web_service' },
      },
      event: { comment: { id: String(this.nextComment++), body, is_public: options.public !== false, author: { id: String(author.id), is_staff: author.is_staff, name: author.name } } },
    };
    const text = JSON.stringify(event);
    const timestamp = `${now.toISOString().slice(0, 19)}Z`;
    const signature = createHmac('sha256', options.secret ?? this.options.signingSecret)
      .update(timestamp + text)
      .digest('base64');
    return {
      body: text,
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Zendesk Webhook',
        'x-zendesk-account-id': String(event.account_id),
        'x-zendesk-webhook-id': this.webhookId,
        'x-zendesk-webhook-invocation-id': String(this.invocation++),
        'x-zendesk-webhook-signature': signature,
        'x-zendesk-webhook-signature-timestamp': timestamp,
      },
    };
  }

  /** Posts a delivery to the subscribed endpoint, as Zendesk does. */
  static async deliver(target: string, delivery: ZendeskDelivery): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(target, { method: 'POST', headers: delivery.headers, body: delivery.body });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }
}
