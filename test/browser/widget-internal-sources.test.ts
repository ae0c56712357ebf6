import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StubbedWidget, widgetWithStubbedAnswer } from '../support/widget-page.js';

// An agent-assist key's answer in the widget (docs/audiences.md): a source limited to audiences carries
// `internal: true`, and the widget marks it so the agent sees it is not for customers. The demo page and the built
// widget are served as in production; the answer API is answered by the page's route so no knowledge base is needed.

let widgetPage: StubbedWidget;
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
  const meta = { answerId: '00000000-0000-4000-8000-000000000001', productLine: 'B', productLineName: 'Wearables', sources };
  const done = { answerId: meta.answerId, answer: 'Approve a replacement [1], as the manual says [2].', mode: 'generated', refused: false, notice: null, citations: sources, productLine: 'B' };
  widgetPage = await widgetWithStubbedAnswer(meta, done);
  page = widgetPage.page;
});

afterAll(async () => {
  await widgetPage?.close();
});

describe('internal sources in the widget', () => {
  it('marks a source limited to audiences as internal, and only that one', async () => {
    await page.goto(`${widgetPage.base}/`);
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
