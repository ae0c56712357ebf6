/**
 * How many of the dev set's refused questions each step of the loop turns into answers, on the sample knowledge base
 * (`npm run eval:suggestions -- --as faq|curated`). The service runs in process (real models and LanceDB, no LLM:
 * extractive mode). Every dev-set question is asked. Step 1: the gaps nobody answered get drafted suggestions
 * (POST /v1/admin/suggestions/from-gaps). Step 2: each refused question that eval/suggestion-replies.jsonl answers
 * gets a simulated handoff, and the helpdesk's reply with the answer written there comes back through the signed
 * helpdesk reply path (POST /v1/helpdesk/replies, docs/suggestions.md), and the simulated reviewer accepts it (as a FAQ entry through an ingestion job, or a curated answer) or, for
 * off-topic questions, rejects it. Then two unseen wordings per question, written by hand and asked before and
 * after, measure whether the next customer is answered from the fix; the answerable questions answered before are
 * asked again to count the ones a new entry took over.
 */
import { cp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { createHmac } from 'node:crypto';
import request from 'supertest';
import { loadConfig } from '../src/config/config.js';
import { loadEmbeddingSpaces } from '../src/embed/load-embedder.js';
import { hashKey } from '../src/http/access.js';
import { ingestKnowledgeBase } from '../src/ingest-knowledge-base.js';
import { createLogger } from '../src/log.js';
import { buildService } from '../src/service.js';

const as = process.argv.includes('--as') ? process.argv[process.argv.indexOf('--as') + 1] : 'faq';
if (as !== 'faq' && as !== 'curated') throw new Error('--as faq or --as curated');
const adminKey = 'kefu_admin_eval_suggestions_0123456789';
const widgetKey = 'kefu_pub_eval_suggestions_01234567890';
const helpdeskSecret = 'eval-helpdesk-reply-secret';

type DevQuestion = { id: string; text: string; lang: string; relevant: string[]; answerable: boolean };
type Reply = { id: string; accept: boolean; answer: string; paraphrases: string[] };
type Answer = { refused: boolean; mode: string; answerId: string; citations: { docId: string }[]; curated?: { id: string }; suggestions?: { docId: string }[] };

const lines = async <T>(file: string): Promise<T[]> =>
  (await readFile(file, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as T);

const dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-eval-suggestions-'));
try {
  const knowledge = path.join(dir, 'knowledge');
  await cp('knowledge', knowledge, { recursive: true });
  const config = loadConfig({
    DB_DIR: path.join(dir, 'db'),
    KNOWLEDGE_DIR: knowledge,
    PRODUCT_LINES_FILE: path.join(knowledge, 'product-lines.yaml'),
    STATE_LOG_DIR: path.join(dir, 'logs'),
    LOG_LEVEL: 'silent',
    LANCEDB_READ_CONSISTENCY_SECONDS: '0',
    EMBEDDING_MODEL_MULTI: 'none',
    ANSWER_CACHE: 'false',
    RATE_LIMIT_IP_BURST: '100000',
    RATE_LIMIT_KEY_BURST: '100000',
    RATE_LIMIT_KEY_CEILING_BURST: '100000',
    HELPDESK_REPLY_SECRET: helpdeskSecret,
    API_KEYS: JSON.stringify([
      { id: 'reviewer', sha256: hashKey(adminKey), scopes: ['admin'], origins: [] },
      { id: 'site', sha256: hashKey(widgetKey), scopes: ['widget'], origins: [] },
    ]),
  });
  const embedders = await loadEmbeddingSpaces(config);
  await ingestKnowledgeBase(config, embedders);
  const service = await buildService(config, createLogger('silent'), { embedders, chatModel: null });
  const ask = async (question: string): Promise<Answer> => (await request(service.app).post('/v1/ask').set('x-api-key', widgetKey).send({ question })).body;
  const admin = (url: string, body: Record<string, unknown> = {}) => request(service.app).post(url).set('x-api-key', adminKey).set('content-type', 'application/json').send(body);
  const answered = (answer: Answer) => !answer.refused && answer.mode !== 'suggest';

  const dev = await lines<DevQuestion>('eval/dev-set.jsonl');
  const replies = new Map((await lines<Reply>('eval/suggestion-replies.jsonl')).map((reply) => [reply.id, reply]));
  const before = new Map<string, Answer>();
  for (const question of dev) before.set(question.id, await ask(question.text));
  const refused = dev.filter((question) => before.get(question.id)!.refused);
  const withoutReply = refused.filter((question) => !replies.has(question.id)).map((question) => question.id);
  // Step 1: the gaps nobody answered yet get a suggestion each; with no chat model, none has an answer to accept.
  const drafts = (await admin('/v1/admin/suggestions/from-gaps', { limit: 50 })).body.suggestions as { needsAuthor: boolean }[];
  const helpdeskReply = (body: Record<string, unknown>) => {
    const text = JSON.stringify(body);
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signature = `sha256=${createHmac('sha256', helpdeskSecret).update(`${timestamp}.${text}`).digest('hex')}`;
    return request(service.app).post('/v1/helpdesk/replies').set('content-type', 'application/json').set('x-kefu-timestamp', timestamp).set('x-kefu-signature', signature).send(text);
  };

  // A person answers each refused question through a handoff; the reviewer decides.
  const fixes = new Map<string, { suggestionId: string; curatedId?: string; docId?: string }>();
  const decided: { id: string; accept: boolean; suggestionId: string }[] = [];
  for (const question of refused) {
    const reply = replies.get(question.id);
    if (!reply) continue;
    const handoff = await request(service.app)
      .post('/v1/handoff')
      .set('x-api-key', widgetKey)
      .send({ name: 'Eval', email: 'eval@example.com', question: question.text, consent: true, answerId: before.get(question.id)!.answerId });
    const resolved = await helpdeskReply({ handoffId: handoff.body.id, replyId: `eval-${question.id}`, answer: reply.answer, author: 'eval-agent' });
    if (resolved.status !== 201) throw new Error(`resolution ${question.id}: ${resolved.status} ${JSON.stringify(resolved.body)}`);
    decided.push({ id: question.id, accept: reply.accept, suggestionId: resolved.body.suggestion.id });
  }
  const paraphrasesBefore = new Map<string, Answer[]>();
  for (const { id } of decided) paraphrasesBefore.set(id, await Promise.all(replies.get(id)!.paraphrases.map(ask)));

  const started = performance.now();
  for (const { id, accept, suggestionId } of decided) {
    if (!accept) {
      await admin(`/v1/admin/suggestions/${suggestionId}/reject`, { reason: 'off topic' });
      continue;
    }
    const accepted = await admin(`/v1/admin/suggestions/${suggestionId}/accept`, { as });
    if (accepted.status >= 300) throw new Error(`accept ${id}: ${accepted.status} ${JSON.stringify(accepted.body)}`);
    const decision = accepted.body.suggestion.decision;
    fixes.set(id, { suggestionId, curatedId: decision.curatedId, docId: decision.docId });
    if (decision.jobId) {
      for (;;) {
        const job = (await request(service.app).get(`/v1/admin/jobs/${decision.jobId}`).set('x-api-key', adminKey)).body;
        if (job.state !== 'running') {
          if (job.state !== 'succeeded') throw new Error(`job for ${id} ended ${job.state}: ${job.error ?? ''}`);
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  }
  const acceptSeconds = (performance.now() - started) / 1000;

  const fromFix = (answer: Answer, fix: { curatedId?: string; docId?: string }) =>
    answered(answer) && (fix.curatedId ? answer.curated?.id === fix.curatedId : answer.citations.some((citation) => citation.docId === fix.docId));
  const rows: Record<string, unknown>[] = [];
  let originals = 0;
  let paraphrasesAnsweredBefore = 0;
  let paraphrasesAfter = 0;
  let paraphrasesOffered = 0;
  let paraphrasesTotal = 0;
  let offTopicAnswered = 0;
  let offTopicTotal = 0;
  for (const { id, accept } of decided) {
    const reply = replies.get(id)!;
    const original = await ask(dev.find((question) => question.id === id)!.text);
    const after = await Promise.all(reply.paraphrases.map(ask));
    if (!accept) {
      offTopicTotal += after.length;
      offTopicAnswered += after.filter(answered).length;
      continue;
    }
    const fix = fixes.get(id)!;
    if (fromFix(original, fix)) originals++;
    paraphrasesTotal += after.length;
    paraphrasesAnsweredBefore += paraphrasesBefore.get(id)!.filter(answered).length;
    paraphrasesAfter += after.filter((answer) => fromFix(answer, fix)).length;
    // The middle band without a model offers "did you mean" questions: one of them may be the new entry.
    const offered = (answer: Answer) => answer.mode === 'suggest' && !!fix.docId && !!answer.suggestions?.some((item) => item.docId === fix.docId);
    paraphrasesOffered += after.filter(offered).length;
    rows.push({
      id,
      original: fromFix(original, fix),
      paraphrases: after.map((answer) => (fromFix(answer, fix) ? 'fix' : offered(answer) ? 'suggest offering the fix' : answer.refused ? 'refused' : answer.mode)),
    });
  }
  // The answerable questions answered (with a relevant document first) before: does a new entry take any over?
  const fixIds = new Set([...fixes.values()].flatMap((fix) => [fix.curatedId, fix.docId].filter(Boolean) as string[]));
  let kept = 0;
  let takenOver = 0;
  let answeredRight = 0;
  for (const question of dev.filter((item) => item.answerable)) {
    const was = before.get(question.id)!;
    if (!answered(was) || !question.relevant.includes(was.citations[0]?.docId ?? '')) continue;
    answeredRight++;
    const now = await ask(question.text);
    if (now.curated && fixIds.has(now.curated.id)) takenOver++;
    else if (now.citations[0] && fixIds.has(now.citations[0].docId)) takenOver++;
    else if (answered(now) && question.relevant.includes(now.citations[0]?.docId ?? '')) kept++;
  }
  const accepted = decided.filter((item) => item.accept).length;
  // Every refused question again, whatever answers it now: what the steps together turned into answers.
  let refusedAnsweredAfter = 0;
  let refusedAnswerableAnsweredAfter = 0;
  for (const question of refused) {
    const now = await ask(question.text);
    if (!answered(now)) continue;
    refusedAnsweredAfter++;
    if (question.answerable) refusedAnswerableAnsweredAfter++;
  }
  console.log(
    JSON.stringify(
      {
        as,
        devQuestions: dev.length,
        refused: refused.length,
        refusedAnswerable: refused.filter((question) => question.answerable).length,
        steps: [
          {
            step: 'drafts for gaps nobody answered (from-gaps, no chat model)',
            drafted: drafts.length,
            withAnAnswer: drafts.filter((draft) => !draft.needsAuthor).length,
            refusedTurnedIntoAnswers: 0,
          },
          { step: `helpdesk replies (signed reply path), accepted as ${as}`, replies: decided.length, accepted, refusedTurnedIntoAnswers: originals },
          {
            step: 'all refused questions asked again at the end',
            answered: refusedAnsweredAfter,
            ofWhichAnswerable: refusedAnswerableAnsweredAfter,
            stillRefusedOrDidYouMean: refused.length - refusedAnsweredAfter,
          },
        ],
        withoutReply,
        accepted,
        rejectedOffTopic: decided.length - accepted,
        originalsAnsweredFromFix: originals,
        paraphrases: { total: paraphrasesTotal, answeredBefore: paraphrasesAnsweredBefore, answeredFromFixAfter: paraphrasesAfter, offeredAsDidYouMean: paraphrasesOffered },
        offTopicParaphrases: { total: offTopicTotal, answeredAfter: offTopicAnswered },
        answerableAnsweredRightBefore: answeredRight,
        stillRightAfter: kept,
        takenOverByAFix: takenOver,
        acceptSeconds: Math.round(acceptSeconds),
        rows,
      },
      null,
      2,
    ),
  );
  await service.close();
} finally {
  await rm(dir, { recursive: true, force: true });
}
