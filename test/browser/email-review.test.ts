import { mkdir, readFile } from 'node:fs/promises';
import type { Browser } from 'playwright-core';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashKey } from '../../src/http/access.js';
import type { Service } from '../../src/service.js';
import { ingestSampleKnowledge, tempDir } from '../support/real-stack.js';
import { startBrowserStack } from '../support/browser-stack.js';
import { SmtpCapture } from '../support/smtp-capture.js';

/** The e-mail review page of /admin in Chromium: a held refund demand is opened, its reply edited, approved and sent. */
const integrationKey = 'kefu_int_review0123456789abcdefghijklm';
const adminKey = 'kefu_admin_review0123456789abcdefghijk';
let service: Service;
let closeStack: () => Promise<void>;
let smtp: SmtpCapture;
let browser: Browser;
let base: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  const temp = await tempDir('email-review');
  cleanup = temp.remove;
  const config = await ingestSampleKnowledge(temp.dir, { CALIBRATION_ENABLED: 'false', STATE_LOG_DIR: `${temp.dir}/state` });
  smtp = await new SmtpCapture().start();
  const keys = JSON.stringify([
    { id: 'mailbox', sha256: hashKey(integrationKey), scopes: ['integration'], origins: [] },
    { id: 'reviewer', sha256: hashKey(adminKey), scopes: ['admin'], origins: [] },
  ]);
  ({
    service,
    base,
    browser,
    close: closeStack,
  } = await startBrowserStack(config, { API_KEYS: keys, REDIS_URL: 'redis://127.0.0.1:6379', REDIS_KEY_PREFIX: `kefu-test-email-review-${process.pid}-${Date.now()}:`, EMAIL_ENABLED: 'true', SMTP_URL: smtp.url }));
}, 240_000);

afterAll(async () => {
  await closeStack?.();
  await smtp?.stop();
  await cleanup?.();
});

describe('the e-mail review page', () => {
  it('shows a held draft with why it is held; a reviewer edits the reply and approves it, and the edited text is sent', async () => {
    const intake = await request(service.app).post('/v1/email').set('authorization', `Bearer ${integrationKey}`).set('content-type', 'message/rfc822').send(await readFile('test/fixtures/email/en-refund-demand.eml'));
    expect(intake.status).toBe(202);
    const page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${base}/admin`);
    await page.fill('#key', adminKey);
    await page.click('#key-form button');
    // Drafting runs in the background: reload the list until the draft is there.
    const row = page.locator('#drafts tbody tr', { hasText: 'Broken watch' });
    for (let attempt = 0; attempt < 100 && !(await row.count()); attempt++) {
      await page.click('#draft-filter button');
      await page.waitForTimeout(100);
    }
    await expect(row.textContent()).resolves.toMatch(/refund[\s\S]*legal[\s\S]*pending_review/);
    await row.getByRole('button', { name: 'Open' }).click();
    await expect(page.locator('#draft-customer').textContent()).resolves.toContain('I demand a full refund');
    const text = await page.inputValue('#draft-text');
    expect(text).toMatch(/^Dear Peter Brown,/);
    await page.fill('#draft-text', `${text}\n\nP.S. A colleague will call you today about the refund.`);
    await mkdir('test-artifacts/email', { recursive: true });
    await page.screenshot({ path: 'test-artifacts/email/review-page.png', fullPage: true });
    await page.click('#approve');
    await page.waitForFunction(() => document.querySelector('#status')?.textContent !== '');
    expect(await page.locator('#status').textContent()).toContain('Approved');
    const sent = await smtp.waitFor('peter@example.net');
    expect(sent.parsed.text).toContain('A colleague will call you today');
    expect(sent.parsed.inReplyTo).toBe('<refund-001@example.net>');
    await expect(page.locator('#status').textContent()).resolves.toContain('Approved');
    expect(errors).toEqual([]);
  });
});
