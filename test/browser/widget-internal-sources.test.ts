import type { Server } from 'node:http';
import express from 'express';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webRoutes } from '../../src/http/web-routes.js';
import { launchChromium } from '../support/browser.js';
import { listenLocal } from '../support/listen.js';

// An agent-assist key's answer in the widget (docs/audiences.md): a source limited to audiences carries
// `internal: true`, and the widget marks it so the agent sees it is not for customers. The demo page and the built
// widget are served as in production; the answer API is answered by the page's route so no knowledge base is needed.

let server: Server;
let base: string;
let browser: Browser;
let page: Page;

const source = (n: number, title: string, internal: boolean) => ({
  n,
  chunkId: `c${n}`,
  docId: `d${n}`,
  title,
  path: `${title}.md`,
  heading: '',
  productLine: 'B',
  kind: 'passage',
  snippet: `${title} text`,
  ...(internal ? { internal: true } : {}),
});
const sources = [source(1, 'Water damage escalation', true), source(2, 'Pulse Band 3 manual', false)];

beforeAll(async () => {
  const app = express();
  app.use(webRoutes());
  ({ server, base } = await listenLocal(app));
  browser = await launchChromium();
  page = await (await browser.newContext({ locale: 'en-US' })).newPage();
  await page.route('**/v1/suggestions**', (route) => route.fulfill({ json: { productLine: 'general', lang: 'en', suggestions: [] } }));
  await page.route('**/v1/ask', (route) => {
    const meta = { answerId: '00000000-0000-4000-8000-000000000001', productLine: 'B', productLineName: 'Wearables', sources };
    const done = { answerId: meta.answerId, answer: 'Approve a replacement [1], as the manual says [2].', mode: 'generated', refused: false, notice: null, citations: sources, productLine: 'B' };
    const body = [`event: meta\ndata: ${JSON.stringify(meta)}`, `event: token\ndata: ${JSON.stringify({ text: done.answer })}`, `event: done\ndata: ${JSON.stringify(done)}`].join('\n\n');
    return route.fulfill({ status: 200, headers: { 'content-type': 'text/event-stream' }, body: `${body}\n\n` });
  });
});

afterAll(async () => {
  await browser?.close();
  server?.close();
});

describe('internal sources in the widget', () => {
  it('marks a source limited to audiences as internal, and only that one', async () => {
    await page.goto(`${base}/`);
    const widget = page.locator('kefu-chat');
    await widget.locator('.launcher').click();
    await widget.locator('textarea.input').fill('Water damage claim?');
    await widget.locator('textarea.input').press('Enter');
    const items = widget.locator('.msg.bot .sources li');
    await expect.poll(() => items.count()).toBe(2);
    expect(await items.nth(0).locator('.internal').textContent()).toBe('Internal');
    expect(await items.nth(1).locator('.internal').count()).toBe(0);
  });
});
