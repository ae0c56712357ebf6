import { mkdir } from 'node:fs/promises';
import type { Browser } from 'playwright-core';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashKey } from '../../src/http/access.js';
import type { Service } from '../../src/service.js';
import { startBrowserStack } from '../support/browser-stack.js';
import { ingestSampleKnowledgeCopy, tempDir } from '../support/real-stack.js';

/** The suggested-answers section of /admin in Chromium: a handoff's answer is reviewed, edited and accepted, as a curated answer and as a FAQ entry. */
const adminKey = 'kefu_admin_suggestpage0123456789abcdefg';
const widgetKey = 'kefu_pub_suggestpage0123456789abcdefgh';
let service: Service;
let closeStack: () => Promise<void>;
let browser: Browser;
let base: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  const temp = await tempDir('admin-suggestions');
  cleanup = temp.remove;
  const config = await ingestSampleKnowledgeCopy(temp.dir, { ANSWER_CACHE: 'false' });
  const keys = JSON.stringify([
    { id: 'reviewer', sha256: hashKey(adminKey), scopes: ['admin'], origins: [] },
    { id: 'site', sha256: hashKey(widgetKey), scopes: ['widget'], origins: [] },
  ]);
  ({ service, base, browser, close: closeStack } = await startBrowserStack(config, { API_KEYS: keys }));
}, 300_000);

afterAll(async () => {
  await closeStack?.();
  await cleanup?.();
});

const ask = async (question: string) => (await request(service.app).post('/v1/ask').set('x-api-key', widgetKey).send({ question })).body;

/** A refused question handed to a person, and the answer support recorded for it. */
async function resolvedHandoff(question: string, answer: string): Promise<void> {
  const refused = await ask(question);
  expect(refused.refused).toBe(true);
  const handoff = await request(service.app).post('/v1/handoff').set('x-api-key', widgetKey).send({ name: 'Li Lei', email: 'lilei@example.cn', question, consent: true, answerId: refused.answerId });
  const resolved = await request(service.app).post(`/v1/admin/handoffs/${handoff.body.id}/resolution`).set('x-api-key', adminKey).send({ answer });
  expect(resolved.status).toBe(201);
}

describe('the suggested-answers page', () => {
  it('lists a handoff answer with its impact; the reviewer edits and accepts it as a curated answer, then another as a FAQ entry whose job succeeds, and both questions are answered', async () => {
    await resolvedHandoff('Can I pay for my order in Bitcoin?', 'No Bitcoin, sorry.');
    await resolvedHandoff(
      'Is there a student discount on Lumora products?',
      'Yes. Students get 15 % off every Lumora device in our online store after verifying a university e-mail address at checkout.',
    );
    const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${base}/admin`);
    await page.fill('#key', adminKey);
    await page.click('#key-form button');

    const bitcoin = page.locator('#suggestions tbody tr', { hasText: 'Bitcoin' });
    await bitcoin.waitFor();
    await expect(bitcoin.textContent()).resolves.toMatch(/No Bitcoin, sorry\.[\s\S]*handoff resolution/);
    await bitcoin.getByRole('button', { name: 'Review' }).click();
    await expect(page.inputValue('#suggestion-answer')).resolves.toBe('No Bitcoin, sorry.');
    const edited = 'We do not accept Bitcoin or any other cryptocurrency. You can pay by credit card, PayPal or Alipay.';
    await page.fill('#suggestion-answer', edited);
    await page.fill('#suggestion-paraphrases', 'Do you take crypto as payment for orders?');
    await page.click('#accept-curated');
    await page.waitForFunction(() => document.querySelector('#status')?.textContent?.startsWith('Accepted'));
    await expect(page.locator('#status').textContent()).resolves.toContain('Accepted as curated answer');
    // Gone from the open list; the next customer gets the edited answer.
    // The list is loaded again after the status line changes: wait for the row to go rather than count at once.
    await page.locator('#suggestions tbody tr', { hasText: 'Bitcoin' }).waitFor({ state: 'detached' });
    expect(await ask('Do you take crypto as payment for orders?')).toMatchObject({ mode: 'curated', answer: expect.stringContaining('PayPal or Alipay') });

    await page.locator('#suggestions tbody tr', { hasText: 'student discount' }).getByRole('button', { name: 'Review' }).click();
    await page.click('#accept-faq');
    await page.waitForFunction(() => document.querySelector('#status')?.textContent?.includes('FAQ entry'));
    await expect(page.locator('#status').textContent()).resolves.toMatch(/Accepted as FAQ entry faq-suggested-\w+: ingestion job .* is running/);
    // The jobs table follows the job to its end; the gaps table then names the fix.
    await page.locator('#jobs tbody tr', { hasText: 'FAQ entry from suggestion' }).filter({ hasText: 'succeeded' }).waitFor({ timeout: 240_000 });
    const after = await ask('Do students get a discount when buying Lumora devices?');
    expect(after.refused).toBe(false);
    expect(after.citations[0].docId).toMatch(/^faq-suggested-/);
    await page.click('#gap-filter button');
    await page.locator('#gaps tbody tr', { hasText: 'faq faq-suggested-' }).waitFor();
    await page.selectOption('#suggestion-status', 'accepted');
    await page.click('#suggestion-filter button');
    // The list is fetched again: wait for the accepted ones to be drawn before counting them.
    await page.locator('#suggestions tbody tr', { hasText: 'accepted as' }).nth(1).waitFor();
    await expect(page.locator('#suggestions tbody tr').count()).resolves.toBe(2);
    await mkdir('test-artifacts/suggestions', { recursive: true });
    await page.screenshot({ path: 'test-artifacts/suggestions/admin-suggestions.png', fullPage: true });
    expect(errors).toEqual([]);
  });
});
