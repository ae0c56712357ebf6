import { createHmac } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Server } from 'node:http';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { hashKey } from '../../src/http/access.js';
import { createLogger } from '../../src/log.js';
import { buildService, type Service } from '../../src/service.js';
import type { Suggestion } from '../../src/suggest/suggestion-store.js';
import { listenLocal } from '../support/listen.js';
import { configToEnv, ingestSampleKnowledge, realEmbedders, tempDir } from '../support/real-stack.js';
import { until } from '../support/until.js';
import { type ZendeskDelivery, ZendeskHelpdeskDouble, type ZendeskTicket } from '../support/zendesk-helpdesk-double.js';

/**
 * A helpdesk's reply to a handed-off question comes back on its own: Kefu's handoff webhook opens a Zendesk ticket
 * carrying the handoff id, the agent's public reply arrives as Zendesk's signed `ticket.comment_added` event, and
 * it is recorded as the handoff's resolution (masked) and becomes a suggestion. The same through our own signed
 * JSON form. Forged, stale, unknown, internal and repeated deliveries change nothing.
 */
const adminKey = 'kefu_admin_helpdesk0123456789abcdefgh';
const widgetKey = 'kefu_pub_helpdesk0123456789abcdefghijk';
const zendeskSecret = 'dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==';
const replySecret = 'helpdesk-reply-secret-for-tests-only';
const run = `${process.pid}-${Date.now()}`;
let service: Service;
let server: Server;
let base: string;
let zendesk: ZendeskHelpdeskDouble;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  const temp = await tempDir('helpdesk');
  cleanup = temp.remove;
  zendesk = await new ZendeskHelpdeskDouble({ agentEmail: 'kefu@lumora.example', apiToken: 'zd-api-token-test', signingSecret: zendeskSecret }).start();
  // Secrets as a deployment mounts them: files named by the *_FILE settings.
  const secretFile = (name: string, value: string) => writeFile(path.join(temp.dir, name), `${value}\n`).then(() => path.join(temp.dir, name));
  // The regression gate is not what this file is about; the sample table is shared with other tests in a run.
  const ingested = await ingestSampleKnowledge(path.join(temp.dir, 'db'), { ANSWER_CACHE: 'false' });
  service = await buildService(
    loadConfig({
      ...configToEnv(ingested),
      API_KEYS: JSON.stringify([
        { id: 'support-lead', sha256: hashKey(adminKey), scopes: ['admin'], origins: [] },
        { id: 'site', sha256: hashKey(widgetKey), scopes: ['widget'], origins: [] },
      ]),
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_KEY_PREFIX: `kefu-test-helpdesk-${run}:`,
      HANDOFF_WEBHOOK_URL: `${zendesk.base}/api/v2/tickets.json`,
      HANDOFF_WEBHOOK_FORMAT: 'zendesk',
      HANDOFF_WEBHOOK_AUTHORIZATION_FILE: await secretFile('zendesk-api', zendesk.authorization),
      HELPDESK_ZENDESK_SIGNING_SECRET_FILE: await secretFile('zendesk-signing', zendeskSecret),
      HELPDESK_REPLY_SECRET_FILE: await secretFile('reply-signing', replySecret),
      RATE_LIMIT_IP_BURST: '100000',
      RATE_LIMIT_KEY_BURST: '100000',
    }),
    createLogger(process.env.TEST_LOG ? 'error' : 'silent'),
    { embedders: await realEmbedders(), chatModel: null },
  );
  ({ server, base } = await listenLocal(service.app));
}, 300_000);

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await service?.close();
  await zendesk?.stop();
  await cleanup?.();
});

const admin = (url: string) => request(service.app).get(url).set('x-api-key', adminKey);
const resolutionsOf = async (id: string): Promise<{ answer: string; by: string }[]> => (await admin(`/v1/admin/handoffs/${id}`)).body.resolutions;
const zendeskEndpoint = () => `${base}/v1/helpdesk/zendesk`;

async function handOff(question: string, email = 'li.lei@example.cn'): Promise<{ id: string; ticket: ZendeskTicket }> {
  const response = await request(service.app).post('/v1/handoff').set('x-api-key', widgetKey).send({ name: 'Li Lei', email, question, consent: true, lang: 'en' });
  expect(response.status).toBe(201);
  const id = response.body.id as string;
  const ticket = await until(`the Zendesk ticket of handoff ${id}`, async () => zendesk.tickets.find((item) => item.external_id === id));
  return { id, ticket };
}

function signedReply(body: Record<string, unknown>, options: { secret?: string; at?: number } = {}) {
  const text = JSON.stringify(body);
  const timestamp = String(options.at ?? Math.floor(Date.now() / 1000));
  const signature = `sha256=${createHmac('sha256', options.secret ?? replySecret)
    .update(`${timestamp}.${text}`)
    .digest('hex')}`;
  return request(base).post('/v1/helpdesk/replies').set('content-type', 'application/json').set('x-kefu-timestamp', timestamp).set('x-kefu-signature', signature).send(text);
}

describe('helpdesk replies to handed-off questions', () => {
  it("the handoff opens a Zendesk ticket carrying its id, and the agent's public reply becomes the masked resolution and a suggestion", async () => {
    const { id, ticket } = await handOff('Can I pay for my Lumora watch in monthly instalments?');
    // Zendesk's ticket-create call, authenticated with the API token from the settings' file.
    expect(ticket).toMatchObject({ external_id: id, requester: { name: 'Li Lei', email: 'li.lei@example.cn' } });
    expect(ticket.tags).toEqual(expect.arrayContaining(['kefu', `kefu_${id}`]));

    const answer = 'Yes: Alipay Huabei splits any order over 300 yuan into 3, 6 or 12 monthly instalments. I sent the details to li.lei@example.cn.';
    const delivered = await ZendeskHelpdeskDouble.deliver(zendeskEndpoint(), zendesk.commentEvent(ticket, answer));
    expect(delivered.status).toBe(201);
    expect(delivered.body).toMatchObject({ result: 'recorded', handoffId: id });

    const [resolution, ...more] = await resolutionsOf(id);
    expect(more).toEqual([]);
    expect(resolution.answer).toContain('Alipay Huabei');
    expect(resolution.answer).not.toContain('li.lei@example.cn');
    expect(resolution.by).toBe('zendesk:8447388090495');
    const suggestions: Suggestion[] = (await admin('/v1/admin/suggestions')).body.suggestions;
    const suggestion = suggestions.find((item) => item.origin.kind === 'handoff' && item.origin.ref === id);
    expect(suggestion).toMatchObject({ status: 'open', question: 'Can I pay for my Lumora watch in monthly instalments?' });
    expect(suggestion!.answer).toContain('Alipay Huabei');
    expect(suggestion!.answer).not.toContain('li.lei@example.cn');
    // Done by the helpdesk, on the audit trail like the admin call it replaces.
    const audit = (await admin('/v1/admin/audit')).body.audit as { action: string; handoff?: string; by: string }[];
    expect(audit.find((entry) => entry.action === 'handoff.resolution' && entry.handoff === id)).toMatchObject({ by: 'zendesk:8447388090495' });

    // Once the reviewer has decided the suggestion, a later reply on the ticket is still logged, and acknowledged
    // (a 409 would make Zendesk retry it), with nothing left to suggest.
    const rejected = await request(service.app).post(`/v1/admin/suggestions/${suggestion!.id}/reject`).set('x-api-key', adminKey).send({});
    expect(rejected.status).toBe(200);
    const later = await ZendeskHelpdeskDouble.deliver(zendeskEndpoint(), zendesk.commentEvent(ticket, 'One more thing: Huabei needs a verified Alipay account.'));
    expect(later).toMatchObject({ status: 201, body: { result: 'recorded', suggestion: null, reason: 'suggestion_decided' } });
    expect(await resolutionsOf(id)).toHaveLength(2);
  });

  it('a retried delivery, an internal note and the customer’s own reply add no resolution', async () => {
    const { id, ticket } = await handOff('Does the Lumora band come in a children’s size?');
    const first = zendesk.commentEvent(ticket, 'Yes, the S band fits wrists from 110 mm.');
    expect((await ZendeskHelpdeskDouble.deliver(zendeskEndpoint(), first)).status).toBe(201);
    // Zendesk sends the very request again when it did not see the answer in time.
    const retried = await ZendeskHelpdeskDouble.deliver(zendeskEndpoint(), first);
    expect(retried).toMatchObject({ status: 200, body: { result: 'duplicate' } });
    const note = await ZendeskHelpdeskDouble.deliver(zendeskEndpoint(), zendesk.commentEvent(ticket, 'Internal: check stock before promising.', { public: false }));
    expect(note).toMatchObject({ status: 200, body: { result: 'ignored', reason: 'internal_note' } });
    const customer = await ZendeskHelpdeskDouble.deliver(zendeskEndpoint(), zendesk.commentEvent(ticket, 'Thanks! And in pink?', { byCustomer: true }));
    expect(customer).toMatchObject({ status: 200, body: { result: 'ignored', reason: 'not_by_staff' } });
    expect((await resolutionsOf(id)).map((item) => item.answer)).toEqual(['Yes, the S band fits wrists from 110 mm.']);
  });

  it('a wrong signature, an altered body and a stale timestamp are refused; a ticket Kefu did not open is ignored and an unknown handoff is 404', async () => {
    const { id, ticket } = await handOff('Is there a student discount?');
    const forged = await ZendeskHelpdeskDouble.deliver(zendeskEndpoint(), zendesk.commentEvent(ticket, 'Yes, 50 % off.', { secret: 'not-the-secret' }));
    expect(forged).toMatchObject({ status: 401, body: { error: { code: 'helpdesk_signature' } } });
    const genuine = zendesk.commentEvent(ticket, 'No, we have no student discount.');
    const altered: ZendeskDelivery = { ...genuine, body: genuine.body.replace('No, we have no', 'Yes, we have a') };
    expect((await ZendeskHelpdeskDouble.deliver(zendeskEndpoint(), altered)).status).toBe(401);
    // Signed right, ten minutes ago: a recorded request sent again after the replay window.
    const stale = await ZendeskHelpdeskDouble.deliver(zendeskEndpoint(), zendesk.commentEvent(ticket, 'No.', { signedAt: new Date(Date.now() - 600_000) }));
    expect(stale).toMatchObject({ status: 401, body: { error: { code: 'helpdesk_stale' } } });
    expect(await resolutionsOf(id)).toEqual([]);

    const byHand = await ZendeskHelpdeskDouble.deliver(zendeskEndpoint(), zendesk.commentEvent(zendesk.openTicketByHand('My order is late'), 'It ships tomorrow.'));
    expect(byHand).toMatchObject({ status: 200, body: { result: 'ignored', reason: 'not_a_handoff' } });
    const unknown = { ...ticket, external_id: '00000000-0000-4000-8000-000000000000', tags: [] };
    const gone = await ZendeskHelpdeskDouble.deliver(zendeskEndpoint(), zendesk.commentEvent(unknown, 'It ships tomorrow.'));
    expect(gone).toMatchObject({ status: 404, body: { error: { code: 'handoff_not_found' } } });
  });

  it('our signed JSON form records a public reply once, ignores an internal note and refuses a wrong or stale signature', async () => {
    const { id } = await handOff('Can I return a watch bought on Tmall to a Lumora store?');
    const reply = { handoffId: id, replyId: 'fd-reply-1', answer: 'Yes, any Lumora store takes returns within 30 days.', author: 'agent-7' };
    expect((await signedReply(reply, { secret: 'wrong' })).status).toBe(401);
    expect((await signedReply(reply, { at: Math.floor(Date.now() / 1000) - 600 })).body.error.code).toBe('helpdesk_stale');
    const recorded = await signedReply(reply);
    expect(recorded.status).toBe(201);
    expect((await signedReply(reply)).body).toMatchObject({ result: 'duplicate' });
    expect((await signedReply({ ...reply, replyId: 'fd-note-2', public: false })).body).toMatchObject({ result: 'ignored', reason: 'internal_note' });
    expect(await resolutionsOf(id)).toMatchObject([{ answer: reply.answer, by: 'helpdesk:agent-7' }]);
  });
});
