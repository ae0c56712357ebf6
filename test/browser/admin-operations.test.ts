import { mkdir } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AdminPageStack, startAdminPageStack } from '../support/admin-page-stack.js';
import { openAdminPage } from '../support/browser.js';

/**
 * What an operator does every day on /admin, in Chromium (issue 26, item 15): uploads (with progress, and what a
 * rollback means for them), curated answers, handoffs with their conversation, and ratings. Every customer-written
 * field carries markup that must show as text.
 */
let stack: AdminPageStack;
let page: Page;
let errors: string[];
const xss = '<img src=x onerror="window.__xss=1">';

beforeAll(async () => {
  // The regression gate off for the service's jobs only (uploads, deletions): they are about the page, and the gate has
  // its own tests (regression-gate.test.ts, admin-held-versions.test.ts). The first table is the run's shared one.
  stack = await startAdminPageStack('admin-operations', {}, { REGRESSION_GATE: 'false' });
  ({ page, errors } = await openAdminPage(stack.browser, stack.base, stack.adminKey, { width: 1280, height: 1400 }));
  await page.locator('main').waitFor();
}, 300_000);

afterAll(async () => {
  if (page) {
    await mkdir('test-artifacts/admin-operations', { recursive: true });
    await page.screenshot({ path: 'test-artifacts/admin-operations/admin-operations.png', fullPage: true }).catch(() => undefined);
  }
  await stack?.close();
});

const api = (method: 'get' | 'post', path: string, key = stack.widgetKey) => request(stack.service.app)[method](path).set('x-api-key', key);
const ask = async (question: string, extra: Record<string, unknown> = {}) => (await api('post', '/v1/ask').send({ question, ...extra })).body;
const statusText = (pattern: RegExp) => page.waitForFunction((source) => new RegExp(source).test(document.querySelector('#status')?.textContent ?? ''), pattern.source);
const noScriptRan = () => page.evaluate(() => (window as unknown as { __xss?: number }).__xss);

describe('the operator’s day on /admin', () => {
  it('uploads a file with its progress, sees it served, learns what a rollback does to it, and deletes it', async () => {
    await expect(page.locator('#uploads-rollback').textContent()).resolves.toMatch(/rollback restores the knowledge table, not the files.*comes back at the next ingestion/);
    // The last version a rollback can go back to before the upload (ingestions tag the version they commit).
    const { versions, current } = (await api('get', '/v1/admin/versions', stack.adminKey)).body as { current: number; versions: { version: number; tag?: string }[] };
    const before = Math.max(...versions.filter((entry) => entry.tag && entry.version <= current).map((entry) => entry.version));
    const text = '# Lumora Care plan\n\nThe Lumora Care plan extends the warranty of any Lumora device to three years for 29 euros.\n';
    await page.setInputFiles('#upload-file', { name: 'lumora-care.md', mimeType: 'text/markdown', buffer: Buffer.from(text) });
    await page.click('#upload-form button');
    await statusText(/^Uploaded uploads\/lumora-care\.md: ingestion job .* is running\.$/);
    await expect(page.locator('#upload-progress').evaluate((element: HTMLProgressElement) => element.value)).resolves.toBe(100);
    await expect(page.locator('#upload-progress-text').textContent()).resolves.toMatch(/lumora-care\.md: 100 % of \d+ B/);
    // The job ends; the list says the serving version holds the file's document.
    const row = page.locator('#uploads tbody tr', { hasText: 'lumora-care.md' });
    await row.filter({ hasText: 'yes: uploads/lumora-care.md' }).waitFor({ timeout: 240_000 });
    expect((await ask('How much does the Lumora Care plan cost?')).citations[0]?.docId).toBe('uploads/lumora-care.md');

    // Rolled back to before the upload: the answer and the uploads list say the file comes back unless deleted.
    page.once('dialog', (dialog) => void dialog.accept());
    await page
      .locator('#versions tbody tr')
      .filter({ has: page.locator('td:first-child', { hasText: new RegExp(`^${before}$`) }) })
      .getByRole('button', { name: 'Roll back to this' })
      .click();
    await statusText(/^Rolled back the table only: 1 file\(s\) in the knowledge folder .* will come back at the next ingestion unless you delete them: uploads\/lumora-care\.md$/);
    await row.filter({ hasText: 'no: comes back at the next ingestion unless deleted' }).waitFor();
    page.once('dialog', (dialog) => void dialog.accept());
    await row.getByRole('button', { name: /Delete/ }).click();
    await statusText(/^Deleting lumora-care\.md: ingestion job .* is running\.$/);
    await page.locator('#uploads tbody tr', { hasText: 'lumora-care.md' }).waitFor({ state: 'detached', timeout: 240_000 });
    expect((await ask('How much does the Lumora Care plan cost?')).citations.map((source: { docId: string }) => source.docId)).not.toContain('uploads/lumora-care.md');
  });

  it('creates, edits and deletes a curated answer with its product line and language, and customers get each version', async () => {
    await page.click('#curated-new');
    await page.fill('#curated-question', 'Can my Pulse Band order be gift wrapped?');
    await page.fill('#curated-paraphrases', 'Do you offer gift wrapping for bands?');
    await page.fill('#curated-answer', 'Yes: choose gift wrapping at checkout, it is free.');
    await page.selectOption('#curated-lang', 'en');
    await page.fill('#curated-line', 'B');
    await page.click('#curated-save');
    await statusText(/^Created curated answer /);
    const row = page.locator('#curated tbody tr', { hasText: 'gift wrapped' });
    await expect(row.textContent()).resolves.toMatch(/Do you offer gift wrapping for bands\?.*Yes: choose gift wrapping.*en.*B.*admin/);
    expect(await ask('Do you offer gift wrapping for bands?', { productLine: 'B' })).toMatchObject({ mode: 'curated', answer: expect.stringContaining('it is free') });

    await row.getByRole('button', { name: /Edit/ }).click();
    await expect(page.inputValue('#curated-answer')).resolves.toBe('Yes: choose gift wrapping at checkout, it is free.');
    await page.fill('#curated-answer', 'Yes: gift wrapping costs 2 euros and is chosen at checkout.');
    await page.click('#curated-save');
    await statusText(/^Saved curated answer /);
    await page.locator('#curated tbody tr', { hasText: 'costs 2 euros' }).waitFor();
    expect(await ask('Do you offer gift wrapping for bands?', { productLine: 'B' })).toMatchObject({ mode: 'curated', answer: expect.stringContaining('costs 2 euros') });

    page.once('dialog', (dialog) => void dialog.accept());
    await page
      .locator('#curated tbody tr', { hasText: 'gift wrapped' })
      .getByRole('button', { name: /Delete/ })
      .click();
    await statusText(/^Deleted curated answer /);
    await page.locator('#curated tbody tr', { hasText: 'gift wrapped' }).waitFor({ state: 'detached' });
    expect((await ask('Do you offer gift wrapping for bands?', { productLine: 'B' })).mode).not.toBe('curated');
  });

  it('lists open handoffs, opens one with its conversation, records how it was answered and closes it', async () => {
    const question = 'Can I pay for my order in Bitcoin?';
    const refused = await ask(question);
    const created = await api('post', '/v1/handoff').send({ name: `Li ${xss}`, email: 'lilei@example.cn', question: `${question} ${xss}`, consent: true, answerId: refused.answerId, lang: 'en' });
    expect(created.status).toBe(201);
    await page.selectOption('#handoff-status', 'open');
    await page.click('#handoff-filter button');
    const row = page.locator('#handoffs tbody tr', { hasText: 'lilei@example.cn' });
    await expect(row.textContent()).resolves.toContain(`Li ${xss} <lilei@example.cn>`);
    await row.getByRole('button', { name: /Open/ }).click();
    await page.locator('#handoff-conversation li', { hasText: `Q: ${question}` }).waitFor();
    await expect(page.locator('#handoff-question').textContent()).resolves.toBe(`${question} ${xss}`);

    await page.fill('#handoff-answer', 'We do not take Bitcoin; card, PayPal and Alipay work.');
    await page.fill('#handoff-note', 'answered by e-mail');
    await page.click('#handoff-resolve');
    await statusText(/^Resolution recorded; it is suggested answer /);
    await expect(page.locator('#handoff-resolutions li').first().textContent()).resolves.toMatch(/operator: We do not take Bitcoin.*\(answered by e-mail\)/);
    await page.click('#handoff-close');
    await statusText(/^Handoff from lilei@example\.cn closed\./);
    await expect(page.locator('#handoff-close').isDisabled()).resolves.toBe(true);
    await page.locator('#handoffs tbody tr', { hasText: 'lilei@example.cn' }).waitFor({ state: 'detached' });
    await page.selectOption('#handoff-status', 'closed');
    await page.click('#handoff-filter button');
    const closed = page.locator('#handoffs tbody tr', { hasText: 'lilei@example.cn' });
    await expect(closed.locator('td').nth(4).textContent()).resolves.toMatch(/^closed /);
    await expect(closed.locator('td').nth(5).textContent()).resolves.toBe('1');
    expect(await noScriptRan()).toBeUndefined();
  });

  it('lists thumbs up and down with the question, the answer and the comment, filtered by rating, line and text', async () => {
    const swim = await ask('Can I swim with the Pulse Band 3?');
    const parking = await ask('Does parking mode drain my car battery?');
    expect((await api('post', '/v1/feedback').send({ answerId: swim.answerId, rating: 'up', comment: 'clear, thanks' })).status).toBe(201);
    expect((await api('post', '/v1/feedback').send({ answerId: parking.answerId, rating: 'down', comment: `wrong model ${xss}` })).status).toBe(201);
    await page.selectOption('#feedback-rating', 'down');
    await page.click('#feedback-filter button');
    const down = page.locator('#feedback tbody tr', { hasText: 'parking mode' });
    await down.waitFor();
    await expect(page.locator('#feedback tbody tr').count()).resolves.toBe(1);
    await expect(down.textContent()).resolves.toContain(`wrong model ${xss}`);
    await expect(down.textContent()).resolves.toContain(parking.answer.slice(0, 40));
    await page.selectOption('#feedback-rating', '');
    await page.fill('#feedback-text', 'swim');
    await page.click('#feedback-filter button');
    await page.locator('#feedback tbody tr', { hasText: 'clear, thanks' }).waitFor();
    await expect(page.locator('#feedback tbody tr').count()).resolves.toBe(1);
    await page.fill('#feedback-text', '');
    await page.fill('#feedback-line', 'B');
    await page.click('#feedback-filter button');
    await page.locator('#feedback tbody tr', { hasText: 'Pulse Band 3' }).waitFor();
    await expect(page.locator('#feedback tbody tr', { hasText: 'parking mode' }).count()).resolves.toBe(0);
    await expect(page.locator('#ratings-summary').textContent()).resolves.toMatch(/^1 shown · 1 up, 1 down/);
    expect(await noScriptRan()).toBeUndefined();
  });

  it('shows off-topic questions apart from the knowledge gaps', async () => {
    expect((await ask('Who wrote Hamlet?')).refused).toBe(true);
    expect((await ask('Can the Guard Cam 2 record in 8K?')).refused).toBe(true);
    await page.click('#gap-filter button');
    await page.locator('#gaps tbody tr', { hasText: '8K' }).waitFor();
    await page.locator('#off-topic-gaps tbody tr', { hasText: 'Who wrote Hamlet?' }).waitFor({ state: 'attached' });
    await expect(page.locator('#gaps tbody tr', { hasText: 'Hamlet' }).count()).resolves.toBe(0);
    await page.click('#off-topic summary');
    await expect(page.locator('#off-topic summary').textContent()).resolves.toMatch(/Off-topic questions, not gaps.*: 1$/);
    expect(errors).toEqual([]);
  });
});
