import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import type { DraftRecord } from '../../src/email/email-store.js';
import { hashKey } from '../../src/http/access.js';
import type { IngestJobRecord } from '../../src/ingest/jobs.js';
import { createLogger } from '../../src/log.js';
import { buildService, type Service } from '../../src/service.js';
import type { Suggestion } from '../../src/suggest/suggestion-store.js';
import { configToEnv, ingestSampleKnowledgeCopy, realEmbedders, tempDir } from '../support/real-stack.js';
import { SmtpCapture } from '../support/smtp-capture.js';
import { until } from '../support/until.js';

/**
 * Suggested answers end to end, with the real models, LanceDB, Redis (state, e-mail queues) and ingestion jobs:
 * a person's answer (an edited e-mail reply, a handoff's resolution) becomes a suggestion attached to the gap it
 * answers, and accepting it makes the knowledge base answer the next wording of the question it refused.
 */
const adminKey = 'kefu_admin_suggest0123456789abcdefghi';
const widgetKey = 'kefu_pub_suggest0123456789abcdefghijkl';
const integrationKey = 'kefu_int_suggest0123456789abcdefghijk';
const run = `${process.pid}-${Date.now()}`;
let service: Service;
let smtp: SmtpCapture;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  const temp = await tempDir('suggest');
  cleanup = temp.remove;
  // A copy of the sample knowledge folder: accepted FAQ entries are written into it.
  const base = await ingestSampleKnowledgeCopy(temp.dir, { ANSWER_CACHE: 'false' });
  smtp = await new SmtpCapture().start();
  service = await buildService(
    loadConfig({
      ...configToEnv(base),
      API_KEYS: JSON.stringify([
        { id: 'reviewer', sha256: hashKey(adminKey), scopes: ['admin'], origins: [] },
        { id: 'site', sha256: hashKey(widgetKey), scopes: ['widget'], origins: [] },
        { id: 'mailbox', sha256: hashKey(integrationKey), scopes: ['integration'], origins: [] },
      ]),
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_KEY_PREFIX: `kefu-test-suggest-${run}:`,
      EMAIL_ENABLED: 'true',
      SMTP_URL: smtp.url,
      RATE_LIMIT_IP_BURST: '100000',
      RATE_LIMIT_KEY_BURST: '100000',
      RATE_LIMIT_KEY_CEILING_BURST: '100000',
    }),
    createLogger('silent'),
    { embedders: await realEmbedders(), chatModel: null },
  );
}, 300_000);

afterAll(async () => {
  await service?.close();
  await smtp?.stop();
  await cleanup?.();
});

const admin = {
  get: (url: string) => request(service.app).get(url).set('x-api-key', adminKey),
  post: (url: string, body: Record<string, unknown> = {}) => request(service.app).post(url).set('x-api-key', adminKey).set('content-type', 'application/json').send(body),
};
const ask = async (question: string) => (await request(service.app).post('/v1/ask').set('x-api-key', widgetKey).send({ question })).body;
const suggestions = async (status?: string): Promise<Suggestion[]> => (await admin.get(`/v1/admin/suggestions${status ? `?status=${status}` : ''}`)).body.suggestions;
const suggestionFrom = (kind: string, ref: string) =>
  until(`the suggestion from ${kind} ${ref}`, async () => (await suggestions()).find((item) => item.origin.kind === kind && item.origin.ref === ref));

async function waitForJob(id: string): Promise<IngestJobRecord> {
  return until(
    `job ${id}`,
    async () => {
      const job = (await admin.get(`/v1/admin/jobs/${id}`)).body as IngestJobRecord;
      return job.state === 'running' ? undefined : job;
    },
    300_000,
    200,
  );
}

function mail(subject: string, body: string): Buffer {
  return Buffer.from(
    [
      `From: Anna Weber <anna.weber@example.com>`,
      'To: support@lumora.example',
      `Subject: ${subject}`,
      `Message-ID: <suggest-${run}-${subject.length}@example.com>`,
      'Date: Mon, 07 Dec 2026 09:00:00 +0000',
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      '',
      body,
      '',
    ].join('\r\n'),
  );
}

describe('suggested answers from human replies', () => {
  it('an approved, edited e-mail reply becomes a suggestion attached to its gap; accepted as a curated answer, the next wording is answered with it', async () => {
    const asked = await ask('Can I pay for my order in Bitcoin?');
    expect(asked.refused).toBe(true);
    const paraphrase = 'Is paying with cryptocurrency like Bitcoin possible?';
    expect((await ask(paraphrase)).refused).toBe(true);

    const intake = await request(service.app)
      .post('/v1/email')
      .set('authorization', `Bearer ${integrationKey}`)
      .set('content-type', 'message/rfc822')
      .send(mail('Paying with Bitcoin', 'Hello,\n\nMy order #A12345-67 is still waiting. Can I pay for it in Bitcoin?\n\nThanks,\nAnna'));
    expect(intake.status).toBe(202);
    const draft = await until('the draft', async () => {
      const response = await admin.get(`/v1/admin/drafts/${intake.body.id}`);
      return response.status === 200 && response.body.draft ? (response.body as DraftRecord) : undefined;
    });
    expect(draft).toMatchObject({ state: 'pending_review', handoff: true });
    // The reviewer replaces the holding paragraph with the answer and keeps the letter around it.
    const answer = 'We do not accept Bitcoin or any other cryptocurrency. You can pay by credit card, PayPal or Alipay.';
    const holding = draft.draft.text.split('\n\n').find((paragraph) => paragraph.startsWith('We have passed your message'))!;
    const approved = await admin.post(`/v1/admin/drafts/${draft.id}/approve`, { text: draft.draft.text.replace(holding, answer) });
    expect(approved.status).toBe(200);

    const suggestion = await suggestionFrom('email', draft.id);
    expect(suggestion).toMatchObject({ status: 'open', answer, answerBy: 'human', lang: 'en', origin: { by: 'reviewer' } });
    // The customer's order number never reaches the suggestion.
    expect(suggestion.question).toContain('Bitcoin');
    expect(suggestion.question).not.toContain('A12345-67');
    // Attached to the gap the refused questions formed: their wordings and how many asked.
    expect(suggestion.gap?.id).toBeTruthy();
    expect(suggestion.paraphrases).toEqual(expect.arrayContaining(['Can I pay for my order in Bitcoin?']));
    expect(suggestion.impact.asked).toBeGreaterThanOrEqual(3);
    expect(suggestion.sources.length).toBeGreaterThan(0);

    const accepted = await admin.post(`/v1/admin/suggestions/${suggestion.id}/accept`, { as: 'curated' });
    expect(accepted.status).toBe(200);
    expect(accepted.body.suggestion).toMatchObject({ status: 'accepted', decision: { as: 'curated', by: 'reviewer', edited: false } });
    const curatedId = accepted.body.suggestion.decision.curatedId as string;
    expect((await admin.get(`/v1/admin/curated/${curatedId}`)).body).toMatchObject({ answer, lang: 'en' });

    const after = await ask(paraphrase);
    expect(after).toMatchObject({ refused: false, mode: 'curated', curated: { id: curatedId } });
    const log = await service.state.readLog('suggestions-accepted', 100);
    expect(log.map(({ entry }) => entry)).toEqual(expect.arrayContaining([expect.objectContaining({ suggestionId: suggestion.id, by: 'reviewer', lang: 'en', accepted: { curatedId } })]));
    // Decided once.
    expect((await admin.post(`/v1/admin/suggestions/${suggestion.id}/accept`, { as: 'faq' })).status).toBe(409);
  });

  it('a recorded handoff resolution becomes a suggestion; accepted as a FAQ entry, a new knowledge version answers a wording it refused before, and the gap names its fix', async () => {
    const question = 'Is there a student discount on Lumora products?';
    const refused = await ask(question);
    expect(refused.refused).toBe(true);
    const paraphrase = 'Do students get a discount when buying Lumora devices?';
    expect((await ask(paraphrase)).refused).toBe(true);
    const handoff = await request(service.app)
      .post('/v1/handoff')
      .set('x-api-key', widgetKey)
      .send({ name: 'Li Lei', email: 'lilei@example.cn', question, consent: true, answerId: refused.answerId, lang: 'en' });
    expect(handoff.status).toBe(201);

    const answer = 'Yes. Students get 15 % off every Lumora device in our online store after verifying a university e-mail address at checkout.';
    const resolved = await admin.post(`/v1/admin/handoffs/${handoff.body.id}/resolution`, { answer: `${answer} We confirmed this to lilei@example.cn.` });
    expect(resolved.status).toBe(201);
    const suggestion = resolved.body.suggestion as Suggestion;
    expect(suggestion).toMatchObject({ status: 'open', origin: { kind: 'handoff', ref: handoff.body.id }, question, answerBy: 'human' });
    expect(suggestion.answer).toBe(`${answer} We confirmed this to [email].`);
    expect(suggestion.paraphrases).toEqual([paraphrase]);
    expect(suggestion.impact).toMatchObject({ asked: 2, refused: 2 });
    expect((await admin.post('/v1/admin/handoffs/00000000-0000-4000-8000-000000000000/resolution', { answer })).status).toBe(404);
    expect((await admin.post(`/v1/admin/handoffs/${handoff.body.id}/resolution`, {})).status).toBe(400);

    // Accepted with the reviewer's edit (the sentence about the customer goes).
    const accepted = await admin.post(`/v1/admin/suggestions/${suggestion.id}/accept`, { as: 'faq', answer });
    expect(accepted.status).toBe(202);
    const { decision } = accepted.body.suggestion;
    expect(decision).toMatchObject({ as: 'faq', edited: true, docId: expect.stringMatching(/^faq-suggested-/), path: expect.stringMatching(/^uploads\/suggested-.*\.jsonl$/) });
    expect((await waitForJob(decision.jobId)).state).toBe('succeeded');

    const after = await ask(paraphrase);
    expect(after.refused).toBe(false);
    expect(after.citations[0].docId).toBe(decision.docId);
    const log = await service.state.readLog('suggestions-accepted', 100);
    expect(log.map(({ entry }) => entry)).toEqual(expect.arrayContaining([expect.objectContaining({ suggestionId: suggestion.id, accepted: { docId: decision.docId } })]));

    // The gaps report names what fixed the gap; none of its questions failed since.
    const gaps = (await admin.get('/v1/admin/gaps')).body.gaps as { example: string; questions: string[]; fixedBy?: { suggestionId: string; docId?: string }; questionsSinceFix?: number }[];
    const gap = gaps.find((item) => [item.example, ...item.questions].includes(question));
    expect(gap).toMatchObject({ fixedBy: { suggestionId: suggestion.id, docId: decision.docId }, questionsSinceFix: 0 });
    const audit = (await admin.get('/v1/admin/audit')).body.audit.map((entry: { action: string }) => entry.action);
    expect(audit).toEqual(expect.arrayContaining(['handoff.resolution', 'suggestion.accept']));
  });

  it('a gap nobody answered gets a suggestion that needs an author; rejected, it leaves the open list and cannot be accepted', async () => {
    // A question about a product that the knowledge base does not answer (one that names none of ours and shares nothing
    // with the knowledge base is off-topic, src/insights/off-topic.ts, and gets no draft).
    expect((await ask('Can the Guard Cam 2 record in 8K?')).refused).toBe(true);
    const drafted = await admin.post('/v1/admin/suggestions/from-gaps', { limit: 50 });
    expect(drafted.body.error).toBeUndefined();
    expect(drafted.status).toBe(201);
    const suggestion = (drafted.body.suggestions as Suggestion[]).find((item) => item.question === 'Can the Guard Cam 2 record in 8K?')!;
    // No chat model here: nothing drafted, a person must write the answer.
    expect(suggestion).toMatchObject({ status: 'open', origin: { kind: 'gap' }, needsAuthor: true, answerBy: 'none', answer: '' });
    // Gaps with a suggestion already are not drafted twice; fixed ones not at all.
    const questions = (drafted.body.suggestions as Suggestion[]).map((item) => item.question);
    expect(questions).not.toContain('Can I pay for my order in Bitcoin?');
    expect(questions).not.toContain('Is there a student discount on Lumora products?');
    expect((await admin.post('/v1/admin/suggestions/from-gaps', { limit: 50 })).body.suggestions).toEqual([]);
    expect((await admin.post(`/v1/admin/suggestions/${suggestion.id}/accept`, { as: 'curated' })).body.error.code).toBe('answer_required');

    const rejected = await admin.post(`/v1/admin/suggestions/${suggestion.id}/reject`, { reason: 'no 8K model is planned' });
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({ status: 'rejected', decision: { by: 'reviewer', reason: 'no 8K model is planned' } });
    expect((await suggestions('open')).map((item) => item.id)).not.toContain(suggestion.id);
    expect((await admin.post(`/v1/admin/suggestions/${suggestion.id}/accept`, { as: 'curated', answer: 'No plans.' })).status).toBe(409);
    expect((await admin.get('/v1/admin/suggestions/not-a-uuid')).status).toBe(400);
    expect((await request(service.app).get('/v1/admin/suggestions').set('x-api-key', widgetKey)).status).toBe(403);
  });
});
