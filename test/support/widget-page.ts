import express from 'express';
import type { Browser, Page } from 'playwright-core';
import { webRoutes } from '../../src/http/web-routes.js';
import { launchChromium } from './browser.js';
import { listenLocal } from './listen.js';

export interface StubbedWidget {
  base: string;
  browser: Browser;
  page: Page;
  close: () => Promise<void>;
}

/**
 * The demo page and the built widget served as in production, in Chromium, with `/v1/ask` answered by the page's
 * route as one stream (`meta`, one `token`, `done`) and no suggestions: for widget tests that need no knowledge base.
 */
export async function widgetWithStubbedAnswer(meta: Record<string, unknown>, done: Record<string, unknown> & { answer: string }): Promise<StubbedWidget> {
  const app = express();
  app.use(webRoutes());
  const { server, base } = await listenLocal(app);
  const browser = await launchChromium();
  const page = await (await browser.newContext({ locale: 'en-US' })).newPage();
  await page.route('**/v1/suggestions**', (route) => route.fulfill({ json: { productLine: 'general', lang: 'en', suggestions: [] } }));
  await page.route('**/v1/ask', (route) => {
    const body = [`event: meta\ndata: ${JSON.stringify(meta)}`, `event: token\ndata: ${JSON.stringify({ text: done.answer })}`, `event: done\ndata: ${JSON.stringify(done)}`].join('\n\n');
    return route.fulfill({ status: 200, headers: { 'content-type': 'text/event-stream' }, body: `${body}\n\n` });
  });
  return {
    base,
    browser,
    page,
    close: async () => {
      await browser.close();
      server.close();
    },
  };
}
