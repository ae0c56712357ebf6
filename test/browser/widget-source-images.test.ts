import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StubbedWidget, widgetWithStubbedAnswer } from '../support/widget-page.js';

// A cited screenshot under an answer (docs/sources.md, "Images"): the widget shows the images a cited source carries
// (`sources[].images`, as /v1/ask sends them), lazily, bounded in size, with their alt text and caption. The demo page
// and the built widget are served as in production; the answer API and the help centre's image are answered by
// the page's routes, so no knowledge base and no network are needed.

let widgetPage: StubbedWidget;
let page: Page;
const imageRequests: string[] = [];

const SCREENSHOT = 'https://help.lumora.example/images/en/pulse-band-3-pairing-code.png';
// A tall screenshot (600 × 1200): the widget must bound it, not let it fill the panel.
const SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="600" height="1200"><rect width="600" height="1200" fill="#3b82f6"/><text x="40" y="120" font-size="64" fill="#fff">123 456</text></svg>';

const source = {
  n: 1,
  chunkId: 'wearables/pulse-band-3-manual.en.md#1',
  docId: 'wearables/pulse-band-3-manual.en.md',
  title: 'Lumora Pulse Band 3 — User Manual',
  path: 'wearables/pulse-band-3-manual.en.md',
  heading: 'Pairing with your phone',
  productLine: 'B',
  kind: 'passage',
  snippet: 'Confirm the six-digit code that appears on the band.',
  url: 'https://help.lumora.example/en/wearables/pulse-band-3#pairing-with-your-phone',
  images: [
    { url: SCREENSHOT, alt: 'The six-digit pairing code in the app', caption: 'Confirm that the code in the app matches the one on the band' },
    { url: 'javascript:alert(1)', alt: 'never shown' },
    { url: 'data:image/svg+xml;base64,PHN2Zy8+', alt: 'never shown either' },
  ],
};

beforeAll(async () => {
  const meta = { answerId: '00000000-0000-4000-8000-000000000002', productLine: 'B', productLineName: 'Wearables', sources: [source] };
  const done = { answerId: meta.answerId, answer: 'Confirm the six-digit code that appears on the band [1].', mode: 'extractive', refused: false, notice: null, citations: [source], productLine: 'B' };
  widgetPage = await widgetWithStubbedAnswer(meta, done);
  page = widgetPage.page;
  await page.route('https://help.lumora.example/**', (route) => {
    imageRequests.push(route.request().url());
    return route.fulfill({ status: 200, headers: { 'content-type': 'image/svg+xml' }, body: SVG });
  });
});

afterAll(async () => {
  await widgetPage?.close();
});

describe('cited screenshots in the widget', () => {
  it('shows the cited screenshot under the answer: loaded lazily, bounded, with its alt text and caption; javascript: and data: images never', async () => {
    await page.goto(`${widgetPage.base}/`);
    const widget = page.locator('kefu-chat');
    await widget.locator('.launcher').click();
    await widget.locator('textarea.input').fill('How do I pair the Pulse Band 3?');
    await widget.locator('textarea.input').press('Enter');
    const images = widget.locator('.msg.bot .source-images img');
    await expect.poll(() => images.count()).toBe(1);
    const image = images.first();
    expect(await image.getAttribute('src')).toBe(SCREENSHOT);
    expect(await image.getAttribute('alt')).toBe('The six-digit pairing code in the app');
    expect(await image.getAttribute('loading')).toBe('lazy');
    expect(await widget.locator('.msg.bot .source-images figcaption').textContent()).toBe('Confirm that the code in the app matches the one on the band');
    await image.scrollIntoViewIfNeeded();
    await expect.poll(() => image.evaluate((element) => (element as HTMLImageElement).complete && (element as HTMLImageElement).naturalWidth)).toBe(600);
    const box = await image.boundingBox();
    expect(box!.height).toBeLessThanOrEqual(240);
    expect(box!.width).toBeLessThanOrEqual(380);
    // Under the answer's text, above the list of sources.
    const order = await widget
      .locator('.msg.bot')
      .last()
      .evaluate((bubble) => {
        const children = [...bubble.children];
        const text = children.findIndex((child) => child.textContent?.includes('six-digit code that appears'));
        return { text, images: children.findIndex((child) => child.classList.contains('source-images')), sources: children.findIndex((child) => child.classList.contains('sources')) };
      });
    expect(order.text).toBeGreaterThanOrEqual(0);
    expect(order.images).toBeGreaterThan(order.text);
    expect(order.sources).toBeGreaterThan(order.images);
    expect(imageRequests).toEqual([SCREENSHOT]);
    expect(await widget.locator('img[src^="javascript:"], img[src^="data:"]').count()).toBe(0);
  });
});
