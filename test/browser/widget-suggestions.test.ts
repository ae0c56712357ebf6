import type { Server } from 'node:http';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { buildService, type Service } from '../../src/service.js';
import { launchChromium } from '../support/browser.js';
import { ingestSampleKnowledge, realEmbedders, tempDir } from '../support/real-stack.js';
import { listenLocal } from '../support/listen.js';

// The middle band in the widget, end to end (real service in extractive mode, Debian's Chromium): the suggestions
// are buttons that ask their question, with the offer of a person beside them. The band is forced wide so that
// every on-topic question falls in it.
const ARTIFACTS = 'test-artifacts/widget';

let service: Service;
let server: Server;
let base: string;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let cleanup: () => Promise<void>;

const widget = () => page.locator('kefu-chat');
const bot = () => widget().locator('.msg.bot');

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  const temp = await tempDir('browser-suggest');
  cleanup = temp.remove;
  const config = await ingestSampleKnowledge(path.join(temp.dir, 'db'), { CALIBRATION_ENABLED: 'false', STATE_LOG_DIR: path.join(temp.dir, 'logs'), RATE_LIMIT_IP_BURST: '100000' });
  const wide = { ...config, REFUSAL_THRESHOLD_ZH: 0.02, REFUSAL_THRESHOLD_EN: 0.02, ANSWER_THRESHOLD_ZH: 0.999, ANSWER_THRESHOLD_EN: 0.999 };
  service = await buildService(wide, createLogger('silent'), { embedders: await realEmbedders(), chatModel: null });
  ({ server, base } = await listenLocal(service.app));
  browser = await launchChromium();
  context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 860 } });
  page = await context.newPage();
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  server?.close();
  await service?.close();
  await cleanup?.();
});

describe('suggestions in the widget', () => {
  it('shows the middle band as questions to pick, with the handoff offer; picking one asks it', async () => {
    await page.goto(base + '/');
    await widget().locator('.launcher').click();
    await expect.poll(() => widget().locator('.panel').isVisible()).toBe(true);
    const asked: string[] = [];
    page.on('request', (request) => {
      if (request.url().endsWith('/v1/ask')) asked.push(JSON.parse(request.postData() ?? '{}').question);
    });
    await widget().locator('textarea.input').fill('Can I swim with the Pulse Band 3?');
    await widget().locator('textarea.input').press('Enter');
    const answer = bot().last();
    await expect.poll(() => answer.getAttribute('data-state'), { timeout: 20_000 }).toBe('suggest');
    const chips = answer.locator('.did-you-mean button.chip');
    expect(await chips.count()).toBeGreaterThanOrEqual(2);
    const first = ((await chips.first().textContent()) ?? '').trim();
    expect(first.length).toBeGreaterThan(3);
    // No quote shown as the answer: no sources list, no citation, no feedback thumbs; a person is offered.
    expect(await answer.locator('.sources').count()).toBe(0);
    expect(await answer.locator('.feedback').count()).toBe(0);
    expect(await answer.locator('.handoff-open').count()).toBe(1);
    expect(await answer.locator('a[href^="tel:"], a[href^="mailto:"]').count()).toBeGreaterThan(0);
    await page.screenshot({ path: path.join(ARTIFACTS, '20-suggestions.png') });

    const bubbles = await bot().count();
    await chips.first().click();
    await expect.poll(() => bot().count()).toBe(bubbles + 1);
    await expect.poll(() => bot().last().getAttribute('aria-busy'), { timeout: 20_000 }).toBeNull();
    expect(((await widget().locator('.msg.user').last().textContent()) ?? '').trim()).toContain(first);
    expect(asked).toEqual(['Can I swim with the Pulse Band 3?', first]);
  });
});
