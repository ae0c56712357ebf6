import { readFile } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashKey } from '../../src/http/access.js';
import { CORRECTIONS_LOG, type Interaction, INTERACTIONS_LOG } from '../../src/insights/interactions.js';
import type { Service } from '../../src/service.js';
import { MemoryState } from '../../src/state/shared-state.js';
import { startBrowserStack } from '../support/browser-stack.js';
import { ingestSampleKnowledge, tempDir } from '../support/real-stack.js';

/**
 * The dashboard and conversation review of /admin in Chromium, over seeded logs spread across three days: each
 * chart is drawn by Chart.js (served from this server) with the numbers the analytics API gives, its range
 * picker redraws it, its CSV button downloads the API's CSV, and a reviewer goes from a transcript to a
 * `corrections` entry naming the document that should have answered.
 */
const adminKey = 'kefu_admin_dashboard0123456789abcdefghij';
const state = new MemoryState();
let service: Service;
let closeStack: () => Promise<void>;
let browser: Browser;
let base: string;
let cleanup: () => Promise<void>;
let documentIds: string[];

const dayAgo = (days: number, hour: number) => {
  const at = new Date();
  at.setUTCDate(at.getUTCDate() - days);
  at.setUTCHours(hour, 0, 0, 0);
  return at.toISOString();
};

let sequence = 0;
/** One recorded turn, as Conversations writes it. */
async function seedTurn(fields: Partial<Interaction> & { sessionId: string; question: string; at: string }): Promise<Interaction> {
  const answerId = `00000000-0000-4000-8000-${String(++sequence).padStart(12, '0')}`;
  const turn: Interaction = {
    id: answerId,
    turn: 1,
    channel: 'widget',
    answer: `Answer to: ${fields.question}`,
    lang: 'en',
    productLine: 'B',
    outcome: 'answered',
    mode: 'extractive',
    confidence: 0.82,
    sources: [{ docId: documentIds[0]!, title: 'Pulse Band 3 manual', chunkId: 'chunk-1' }],
    answerId,
    ...fields,
  };
  await state.appendLog(INTERACTIONS_LOG, { ...turn }, 100_000);
  return turn;
}

let refusedTurn: Interaction;

async function seed() {
  // Two days ago: swimming questions (one topic), a thumbs-up.
  const swim = await seedTurn({ sessionId: 'session-swim-1', question: 'Can I swim with the Pulse Band 3?', at: dayAgo(2, 9) });
  await state.appendLog('feedback', { answerId: swim.answerId, rating: 'up', at: dayAgo(2, 9) }, 100_000);
  await seedTurn({ sessionId: 'session-swim-2', question: 'Is the Pulse Band 3 waterproof for swimming?', at: dayAgo(2, 10) });
  await seedTurn({ sessionId: 'session-cam-1', question: 'How long is the dash cam warranty?', productLine: 'C', outcome: 'curated', mode: 'curated', at: dayAgo(2, 11), channel: 'wechat' });
  // Yesterday: a conversation of two turns, the second refused then handed off, rated 2 stars.
  await seedTurn({ sessionId: 'session-mixed-1', question: 'How do I reset my account password?', at: dayAgo(1, 8) });
  refusedTurn = await seedTurn({ sessionId: 'session-mixed-1', turn: 2, question: 'Can I pay with bitcoin?', outcome: 'refused', mode: 'refusal', confidence: 0.12, sources: [], at: dayAgo(1, 8) });
  await state.appendLog('unanswered', { answerId: refusedTurn.answerId, question: refusedTurn.question, productLine: 'B', lang: 'en', at: refusedTurn.at }, 100_000);
  await state.appendLog('handoff_analytics', { id: 'handoff-1', answerId: refusedTurn.answerId, at: dayAgo(1, 9), channel: 'widget', question: refusedTurn.question, productLine: 'B' }, 100_000);
  await state.appendLog('conversation_ratings', { sessionId: 'session-mixed-1', stars: 2, productLines: ['B'], at: dayAgo(1, 9) }, 100_000);
  const swimAgain = await seedTurn({ sessionId: 'session-swim-3', question: 'Can I go swimming wearing the Pulse Band 3?', at: dayAgo(1, 12) });
  await state.appendLog('feedback', { answerId: swimAgain.answerId, rating: 'down', question: swimAgain.question, productLine: 'B', lang: 'en', answeredAt: swimAgain.at, at: dayAgo(1, 12) }, 100_000);
  // Today: suggestions, a lone request for a person on WeChat, and two happy ratings.
  const suggested = await seedTurn({ sessionId: 'session-suggest-1', question: 'Which bands fit my wrist?', outcome: 'suggested', mode: 'suggest', confidence: 0.4, at: dayAgo(0, 0) });
  await state.appendLog('unanswered', { answerId: suggested.answerId, question: suggested.question, productLine: 'B', lang: 'en', at: suggested.at }, 100_000);
  await state.appendLog('handoff_analytics', { id: 'handoff-2', at: dayAgo(0, 0), channel: 'wechat', question: '转人工', reason: 'requested' }, 100_000);
  await state.appendLog('conversation_ratings', { sessionId: 'session-swim-1', stars: 5, productLines: ['B'], at: dayAgo(0, 0) }, 100_000);
  await state.appendLog('conversation_ratings', { sessionId: 'session-cam-1', stars: 4, productLines: ['C'], at: dayAgo(0, 0) }, 100_000);
}

beforeAll(async () => {
  const temp = await tempDir('admin-dashboard');
  cleanup = temp.remove;
  const config = await ingestSampleKnowledge(temp.dir, { CALIBRATION_ENABLED: 'false', STATE_LOG_DIR: `${temp.dir}/state` });
  ({
    service,
    base,
    browser,
    close: closeStack,
  } = await startBrowserStack(
    config,
    {
      API_KEYS: JSON.stringify([{ id: 'lead', sha256: hashKey(adminKey), scopes: ['admin'], origins: [] }]),
      // Three page loads and the API calls that check them, within a minute: more than one admin's burst.
      RATE_LIMIT_IP_BURST: '100000',
    },
    { state },
  ));
  documentIds = [...(await service.store.documentHashes()).keys()].sort();
  await seed();
}, 240_000);

afterAll(async () => {
  await closeStack?.();
  await cleanup?.();
});

const api = async (path: string) => {
  const response = await request(service.app).get(path).set('x-api-key', adminKey);
  expect(response.status).toBe(200);
  return response;
};

async function openAdmin(): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1400 }, timezoneId: 'UTC', acceptDownloads: true });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('requestfailed', (failed) => errors.push(`request failed: ${failed.url()}`));
  await page.goto(`${base}/admin`);
  await page.fill('#key', adminKey);
  await page.click('#key-form button');
  return { page, errors };
}

/** What Chart.js holds for a chart: its labels and each dataset's key and values. */
const chartData = (page: Page, name: string) =>
  page.evaluate((chart) => {
    const canvas = document.querySelector(`#chart-${chart}`) as HTMLCanvasElement;
    const instance = (window as unknown as { Chart: { getChart: (canvas: HTMLCanvasElement) => { data: { labels: string[]; datasets: { key: string; data: (number | null)[] }[] } } } }).Chart.getChart(
      canvas,
    );
    return { labels: instance.data.labels, datasets: Object.fromEntries(instance.data.datasets.map((dataset) => [dataset.key, dataset.data])) };
  }, name);

const loaded = (page: Page, name: string) => page.waitForSelector(`#dashboard [data-chart="${name}"][data-loaded]`);

describe('the dashboard of the admin page', () => {
  it('draws every chart with Chart.js from the analytics API, its numbers the API rows', async () => {
    const { page, errors } = await openAdmin();
    for (const name of ['outcomes', 'rates', 'csat', 'topics', 'gaps']) await loaded(page, name);
    expect(await page.evaluate(() => typeof (window as unknown as { Chart?: unknown }).Chart)).toBe('function');

    const outcomes = (await api('/v1/admin/analytics/outcomes')).body;
    const drawn = await chartData(page, 'outcomes');
    expect(drawn.labels).toEqual(outcomes.rows.map((row: { day: string }) => row.day));
    expect(drawn.labels).toHaveLength(30);
    for (const key of ['answered', 'curated', 'suggested', 'refused', 'handed_off', 'thumbs_up', 'thumbs_down'])
      expect(drawn.datasets[key]).toEqual(outcomes.rows.map((row: Record<string, number>) => row[key]));
    // The seeded days as they should be: handoffs joined to their turn, or alone; thumbs on the day's answers.
    expect(
      outcomes.rows.slice(-3).map((row: Record<string, number>) => [row.questions, row.answered, row.curated, row.suggested, row.refused, row.handed_off, row.thumbs_up, row.thumbs_down]),
    ).toEqual([
      [3, 2, 1, 0, 0, 0, 1, 0],
      [3, 2, 0, 0, 0, 1, 0, 1],
      [2, 0, 0, 1, 0, 1, 0, 0],
    ]);

    const rates = (await api('/v1/admin/analytics/rates')).body;
    const drawnRates = await chartData(page, 'rates');
    expect(drawnRates.datasets.answerRate).toEqual(rates.rows.map((row: { answerRate: number | null }) => row.answerRate));
    expect(drawnRates.datasets.deflection).toEqual(rates.rows.map((row: { deflection: number | null }) => row.deflection));
    expect(rates.total).toEqual({ questions: 8, answered: 5, deflected: 4, answerRate: 0.625, deflection: 0.5 });
    await expect(page.locator('[data-chart="rates"] .chart-summary').textContent()).resolves.toContain('answer rate 62.5% · deflection 50% of 8 questions');

    const csat = (await api('/v1/admin/analytics/csat')).body;
    const drawnCsat = await chartData(page, 'csat');
    expect(drawnCsat.datasets.csat).toEqual(csat.rows.map((row: { csat: number | null }) => row.csat));
    expect(drawnCsat.datasets.ratings).toEqual(csat.rows.map((row: { ratings: number }) => row.ratings));
    expect(csat.total).toEqual({ ratings: 3, satisfied: 2, csat: 0.667 });

    // Topics: line B's largest is the swimming questions (three wordings, one topic), drawn per day.
    const topics = (await api('/v1/admin/analytics/topics')).body;
    const lineB = topics.rows.filter((row: { productLine: string }) => row.productLine === 'B');
    expect(lineB[0]).toMatchObject({ count: 3 });
    expect(lineB[0].topic).toMatch(/swim/i);
    await expect(page.locator('[data-chart="topics"] .chart-line').inputValue()).resolves.toBe('B');
    const drawnTopics = await chartData(page, 'topics');
    expect(Object.values(drawnTopics.datasets)).toEqual(lineB.map((row: { daily: number[] }) => row.daily));
    await page.selectOption('[data-chart="topics"] .chart-line', 'C');
    await expect
      .poll(async () => Object.values((await chartData(page, 'topics')).datasets))
      .toEqual(topics.rows.filter((row: { productLine: string }) => row.productLine === 'C').map((row: { daily: number[] }) => row.daily));

    // The gap backlog: the refused and suggested questions and the thumbs-down, by impact.
    const gaps = (await api('/v1/admin/analytics/gaps')).body;
    expect(gaps.rows.map((row: { count: number }) => row.count).reduce((a: number, b: number) => a + b, 0)).toBe(3);
    const drawnGaps = await chartData(page, 'gaps');
    expect(drawnGaps.labels).toEqual(gaps.rows.map((row: { productLine: string; example: string }) => `${row.productLine}: ${row.example}`.slice(0, 60)));
    drawnGaps.datasets.impact!.forEach((impact, index) => expect(impact).toBeCloseTo(gaps.rows[index].impact, 1));
    expect(errors).toEqual([]);
  });

  it('redraws a chart for the range picked, and exports exactly the API CSV of that range', async () => {
    const { page, errors } = await openAdmin();
    await loaded(page, 'outcomes');
    const yesterday = dayAgo(1, 0).slice(0, 10);
    const figure = page.locator('[data-chart="outcomes"]');
    await figure.locator('.chart-from').fill(yesterday);
    await figure.locator('.chart-to').fill(yesterday);
    await figure.locator('button', { hasText: 'Apply' }).click();
    await page.waitForSelector(`[data-chart="outcomes"][data-loaded="${yesterday}/${yesterday}"]`);
    const drawn = await chartData(page, 'outcomes');
    expect(drawn.labels).toEqual([yesterday]);
    expect(drawn.datasets.handed_off).toEqual([1]);
    expect(drawn.datasets.thumbs_down).toEqual([1]);

    const [download] = await Promise.all([page.waitForEvent('download'), figure.locator('.chart-csv').click()]);
    expect(download.suggestedFilename()).toBe(`kefu-outcomes-${yesterday}-${yesterday}.csv`);
    const csv = await readFile((await download.path())!, 'utf8');
    const expected = await request(service.app).get(`/v1/admin/analytics/outcomes?from=${yesterday}&to=${yesterday}&format=csv`).set('x-api-key', adminKey);
    expect(expected.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv).toBe(expected.text);
    expect(csv).toBe(`day,questions,answered,curated,suggested,refused,handed_off,thumbs_up,thumbs_down\r\n${yesterday},3,2,0,0,0,1,0,1\r\n`);
    expect(errors).toEqual([]);
  });
});

describe('conversation review on the admin page', () => {
  it('filters conversations, opens a transcript with sources, confidence and mode, and marks a turn wrong with a document', async () => {
    const { page, errors } = await openAdmin();
    await page.locator('#conversations tbody tr').first().waitFor();
    expect(await page.locator('#conversations tbody tr').count()).toBe(6);
    await page.selectOption('#review-outcome', 'handed_off');
    await page.click('#conversation-filter button');
    await expect.poll(() => page.locator('#conversations tbody tr').count()).toBe(1);
    const row = page.locator('#conversations tbody tr').first();
    await expect(row.textContent()).resolves.toContain('Can I pay with bitcoin?');
    await row.locator('button', { hasText: 'Open' }).click();

    const turns = page.locator('#transcript-turns > li');
    await expect.poll(() => turns.count()).toBe(2);
    await expect(page.locator('#transcript-title').textContent()).resolves.toBe('Conversation session-mixed-1 · 2★');
    await expect(turns.nth(0).locator('.turn-meta').textContent()).resolves.toBe('outcome answered · mode extractive · confidence 0.82');
    await expect(turns.nth(0).locator('.turn-sources').textContent()).resolves.toBe(`Pulse Band 3 manual (${documentIds[0]})`);
    await expect(turns.nth(1).locator('.turn-meta').textContent()).resolves.toBe('outcome handed_off · mode refusal · confidence 0.12');

    const expected = documentIds.at(-1)!;
    await turns.nth(1).locator('.mark-wrong').click();
    await turns.nth(1).locator('.wrong-target').selectOption(`doc:${expected}`);
    await turns.nth(1).locator('.wrong-note').fill('payment methods are in the FAQ');
    await turns.nth(1).locator('.wrong-form button').click();
    await expect.poll(() => page.locator('#status').textContent()).toBe('Correction recorded for turn 2: it joins the regression set. 已记录更正。');
    await page.locator('#transcript-turns > li[data-turn="2"] .correction').waitFor();
    await expect(page.locator('#transcript-turns > li[data-turn="2"] .correction').textContent()).resolves.toBe(`Marked wrong by lead: should be ${expected} (payment methods are in the FAQ)`);

    // The entry the regression gate reads, in the contract's shape, and the audit trail.
    const [correction] = await state.readLog(CORRECTIONS_LOG, 10);
    expect(correction!.entry).toEqual({
      id: expect.any(String),
      at: expect.any(String),
      by: 'lead',
      sessionId: 'session-mixed-1',
      turn: 2,
      question: 'Can I pay with bitcoin?',
      lang: 'en',
      productLine: 'B',
      expected: { docId: expected },
      wrong: { outcome: 'handed_off', sources: [] },
      note: 'payment methods are in the FAQ',
    });
    const audit = await state.readLog('audit', 10);
    expect(audit.map(({ entry }) => entry)).toContainEqual(
      expect.objectContaining({ action: 'conversation.correction', by: 'lead', sessionId: 'session-mixed-1', turn: 2, expected: { docId: expected } }),
    );
    expect(errors).toEqual([]);
  });
});
