import { readFile, mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OpenAiChatModel } from '../../src/answer/chat-model.js';
import { createLogger } from '../../src/log.js';
import { buildService, type Service } from '../../src/service.js';
import { launchChromium } from '../support/browser.js';
import { FakeVllmServer } from '../support/fake-vllm-server.js';
import { ingestSampleKnowledge, realEmbedders, tempDir } from '../support/real-stack.js';
import { listenLocal } from '../support/listen.js';

/**
 * The widget's second round (issue 12), in Chromium against the real service (sample knowledge base, real
 * models, LanceDB, the vLLM test double): dark pages and themes, a strict CSP, the history race, scrolling
 * while reading, the phone as a modal dialog, restored answers, the growing input, starting over during a
 * stream, citation markers while streaming, tap-to-call contacts, the JavaScript API and events, the unread
 * badge, reduced motion, timestamps, an axe-core scan. Screenshots go to test-artifacts/widget/.
 */
const ARTIFACTS = 'test-artifacts/widget';
let llm: FakeVllmServer;
let service: Service;
let server: Server;
let pages: Server;
let base: string;
let pagesBase: string;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let cleanup: () => Promise<void>;
let webhook: Server;
const webhookCalls: { signature?: string; body: { handoff: Record<string, unknown> } }[] = [];
const hostPages = new Map<string, { html: string; csp?: string }>();

/** A customer's page on another origin embedding the widget with these attributes (and head, and CSP). */
function hostPage(name: string, options: { attributes?: string; head?: string; body?: string; csp?: string } = {}): string {
  hostPages.set(`/${name}`, {
    html: `<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">${options.head ?? ''}</head><body>${options.body ?? '<p>Host page</p>'}<script src="${base}/widget.js" data-api-base="${base}" ${options.attributes ?? ''}></script></body></html>`,
    csp: options.csp,
  });
  return `${pagesBase}/${name}`;
}

const widget = () => page.locator('kefu-chat');
const bot = () => widget().locator('.msg.bot');
const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });

async function openWidget() {
  // A panel left open on another page of the same site reopens by itself (sessionStorage).
  await expect.poll(() => widget().locator('.launcher').count()).toBe(1);
  if (!(await widget().locator('.panel').isVisible())) await widget().locator('.launcher').click();
  await expect.poll(() => widget().locator('.panel').isVisible()).toBe(true);
}

async function ask(question: string) {
  const count = await bot().count();
  await widget().locator('textarea.input').fill(question);
  await widget().locator('textarea.input').press('Enter');
  await expect.poll(() => bot().count()).toBeGreaterThan(count);
  await expect.poll(() => bot().last().getAttribute('aria-busy'), { timeout: 30_000 }).toBeNull();
  return bot().last();
}

/** WCAG contrast ratio of an element's text colour on its background, computed in the page. */
const contrast = (selector: string) =>
  page.evaluate((selector) => {
    const node = document.querySelector('kefu-chat')!.shadowRoot!.querySelector(selector) as HTMLElement;
    const style = getComputedStyle(node);
    const rgb = (value: string) => value.match(/[\d.]+/g)!.slice(0, 3).map(Number);
    const lum = ([r, g, b]: number[]) => {
      const channel = (v: number) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
      return 0.2126 * channel(r!) + 0.7152 * channel(g!) + 0.0722 * channel(b!);
    };
    const [a, b] = [lum(rgb(style.color)), lum(rgb(style.backgroundColor))];
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  }, selector);

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  const temp = await tempDir('browser2');
  cleanup = temp.remove;
  // A helpdesk's webhook endpoint: receives each request for a person.
  webhook = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk) => (text += chunk));
    request.on('end', () => {
      webhookCalls.push({ signature: request.headers['x-kefu-signature'] as string | undefined, body: JSON.parse(text) });
      response.writeHead(204).end();
    });
  });
  const webhookBase = (await listenLocal(webhook)).base;
  const config = await ingestSampleKnowledge(path.join(temp.dir, 'db'), {
    STATE_LOG_DIR: path.join(temp.dir, 'logs'),
    RATE_LIMIT_IP_BURST: '100000',
    ANSWER_CACHE: 'false',
    HANDOFF_WEBHOOK_URL: `${webhookBase}/helpdesk`,
    HANDOFF_WEBHOOK_SECRET: 'test-secret',
    CITATION_URLS: JSON.stringify({ 'faq/': 'https://help.lumora.example/faq#{doc_id}', '': 'https://help.lumora.example/docs/{stem}' }),
  });
  llm = await new FakeVllmServer().start();
  llm.tokenDelayMs = 20;
  const chatModel = new OpenAiChatModel({ baseURL: llm.baseURL, apiKey: 'x', model: config.LLM_MODEL, timeoutMs: 20_000, firstTokenTimeoutMs: 10_000 });
  service = await buildService(config, createLogger('silent'), { embedders: await realEmbedders(), chatModel });
  ({ server, base } = await listenLocal(service.app));
  pages = createServer((request, response) => {
    const entry = hostPages.get(new URL(request.url!, 'http://x').pathname);
    if (!entry) return void response.writeHead(404).end();
    response.setHeader('content-type', 'text/html; charset=utf-8');
    if (entry.csp) response.setHeader('content-security-policy', entry.csp);
    response.end(entry.html);
  });
  pagesBase = (await listenLocal(pages)).base;
  browser = await launchChromium();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  server?.close();
  pages?.close();
  webhook?.close();
  await llm?.stop();
  await service?.close();
  await cleanup?.();
});

beforeEach(async () => {
  await context?.close();
  context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'en-US' });
  page = await context.newPage();
  llm.mode = 'answer';
  llm.tokenDelayMs = 20;
});

describe('themes and hostile pages', () => {
  it('keeps typed text readable on a dark host page, and offers a real dark theme', async () => {
    await page.goto(hostPage('dark', { head: '<meta name="color-scheme" content="dark"><style>body{background:#0d1117;color:#e6edf3}</style>', attributes: 'data-lang="en"' }));
    await openWidget();
    await widget().locator('textarea.input').fill('Typed on a dark page');
    expect(await contrast('textarea.input')).toBeGreaterThanOrEqual(4.5);
    await shot('20-dark-host-page');
    await page.goto(hostPage('dark-theme', { head: '<meta name="color-scheme" content="dark"><style>body{background:#0d1117}</style>', attributes: 'data-lang="en" data-theme="dark"' }));
    await openWidget();
    await ask('How long does the Pulse Band 3 battery last?');
    expect(await page.evaluate(() => getComputedStyle(document.querySelector('kefu-chat')!.shadowRoot!.querySelector('.panel')!).backgroundColor)).toBe('rgb(28, 33, 40)');
    for (const selector of ['textarea.input', '.msg.bot', '.log']) expect(await contrast(selector), selector).toBeGreaterThanOrEqual(4.5);
    await shot('21-dark-theme');
    // auto follows the visitor's system setting.
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.goto(hostPage('auto-theme', { attributes: 'data-lang="en" data-theme="auto"' }));
    await openWidget();
    expect(await page.evaluate(() => getComputedStyle(document.querySelector('kefu-chat')!.shadowRoot!.querySelector('.panel')!).backgroundColor)).toBe('rgb(28, 33, 40)');
  });

  it("is fully styled on a page whose CSP allows no inline styles (style-src 'self')", async () => {
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    await page.goto(hostPage('csp', { attributes: 'data-lang="en"', csp: `default-src 'self'; script-src ${base}; style-src 'self'; connect-src ${base}; img-src 'self'` }));
    const launcher = widget().locator('.launcher');
    await expect.poll(() => launcher.evaluate((node) => getComputedStyle(node).borderRadius)).toBe('50%');
    expect(await launcher.evaluate((node) => getComputedStyle(node).width)).toBe('60px');
    await openWidget();
    await ask('How long does the Pulse Band 3 battery last?');
    expect(await widget().locator('.panel').evaluate((node) => getComputedStyle(node).position)).toBe('absolute');
    await shot('22-strict-csp');
    expect(violations).toEqual([]);
  });

  it('keeps Arabic text in its own direction (RTL screenshot)', async () => {
    await page.goto(hostPage('rtl', { attributes: 'data-lang="en"' }));
    await openWidget();
    await ask('هل يمكنني السباحة مع Pulse Band 3؟');
    expect(await widget().locator('.msg.user').last().getAttribute('dir')).toBe('auto');
    await shot('23-rtl');
  });
});

describe('conversation behaviour', () => {
  it('shows a returning visitor their history above a question sent before the history arrived, each turn once', async () => {
    await page.goto(hostPage('race', { attributes: 'data-lang="en"' }));
    await openWidget();
    await ask('Can I swim with the Pulse Band 3?');
    // Slow the history request down: the visitor sends before it returns.
    await page.route('**/v1/sessions/**', async (route) => {
      await new Promise((resolve) => setTimeout(resolve, 2500));
      await route.continue();
    });
    await page.reload();
    await expect.poll(() => widget().locator('.panel').isVisible()).toBe(true);
    await widget().locator('textarea.input').fill('How long does its battery last?');
    await widget().locator('textarea.input').press('Enter');
    await expect.poll(() => widget().locator('.msg.user').count(), { timeout: 10_000 }).toBe(2);
    await expect.poll(() => bot().last().getAttribute('aria-busy'), { timeout: 30_000 }).toBeNull();
    await page.waitForTimeout(600);
    const users = await widget().locator('.msg.user').allTextContents();
    expect(users).toHaveLength(2);
    expect(users[0]).toContain('Can I swim');
    expect(users[1]).toContain('How long does its battery last?');
    expect(await bot().count()).toBe(2);
  });

  it("doesn't pull a reader who scrolled up back down while an answer streams; a button brings them down", async () => {
    await page.goto(hostPage('scroll', { attributes: 'data-lang="en"' }));
    await openWidget();
    for (const question of ['Can I swim with the Pulse Band 3?', 'How do I reset the Glow bulb?', 'Does the Drive Cam D1 need a special memory card?']) await ask(question);
    llm.mode = 'slow';
    llm.tokenDelayMs = 15;
    await widget().locator('textarea.input').fill('How long does the Pulse Band 3 battery last?');
    await widget().locator('textarea.input').press('Enter');
    await expect.poll(() => widget().locator('.content').count(), { timeout: 20_000 }).toBeGreaterThan(0);
    const log = widget().locator('.log');
    await log.evaluate((node) => (node.scrollTop = 0));
    await page.waitForTimeout(800);
    expect(await log.evaluate((node) => node.scrollTop)).toBe(0);
    await expect.poll(() => widget().locator('.jump').isVisible()).toBe(true);
    await widget().locator('.jump').click();
    expect(await log.evaluate((node) => node.scrollHeight - node.scrollTop - node.clientHeight)).toBeLessThan(32);
    // Seen while streaming; the rest of the answer may come at once (the double reads the delay before each token).
    llm.tokenDelayMs = 1;
    await expect.poll(() => bot().last().getAttribute('aria-busy'), { timeout: 30_000 }).toBeNull();
  });

  it('renders citation markers as they stream, with the product-line badge in place before the text', async () => {
    llm.mode = 'slow';
    llm.tokenDelayMs = 10;
    await page.goto(hostPage('markers', { attributes: 'data-lang="en"' }));
    await openWidget();
    await widget().locator('textarea.input').fill('How long does the Pulse Band 3 battery last?');
    await widget().locator('textarea.input').press('Enter');
    const streaming = bot().last();
    await expect.poll(() => streaming.locator('.content sup.cite').count(), { timeout: 30_000 }).toBeGreaterThan(0);
    expect(await streaming.getAttribute('aria-busy')).toBe('true');
    expect(await streaming.locator('.badge').textContent()).toContain('Health Wearables');
    expect(await streaming.textContent()).not.toMatch(/(?<!\w)\[1\](?!\w)[\s\S]*\[1\]/);
    // Seen while streaming; the rest of the answer may come at once.
    llm.tokenDelayMs = 1;
    await expect.poll(() => streaming.getAttribute('aria-busy'), { timeout: 30_000 }).toBeNull();
    expect(await streaming.locator('a.cite').count()).toBeGreaterThan(0);
  });

  it('restores the badge, the quoted-text notice, feedback buttons and times of a reloaded conversation', async () => {
    llm.mode = 'error-500';
    await page.goto(hostPage('restore', { attributes: 'data-lang="en"' }));
    await openWidget();
    const live = await ask('How long does the Pulse Band 3 battery last?');
    const liveNotice = await live.locator('.notice').first().textContent();
    expect(liveNotice).toMatch(/quoted/i);
    await page.reload();
    await expect.poll(() => widget().locator('.msg.user').count()).toBe(1);
    const restored = bot().last();
    expect(await restored.locator('.badge').textContent()).toContain('Health Wearables');
    expect(await restored.locator('.notice').first().textContent()).toBe(liveNotice);
    expect(await restored.locator('.feedback button').count()).toBe(2);
    expect(await restored.locator('time').getAttribute('datetime')).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(await widget().locator('.msg.user time').count()).toBe(1);
  });

  it('grows the input with its text and shows a counter near the limit instead of cutting silently', async () => {
    await page.goto(hostPage('input', { attributes: 'data-lang="en"' }));
    await openWidget();
    const input = widget().locator('textarea.input');
    const height = () => input.evaluate((node) => node.getBoundingClientRect().height);
    const start = await height();
    await input.fill('line\n'.repeat(4));
    expect(await height()).toBeGreaterThan(start + 20);
    await input.fill('x\n'.repeat(50));
    expect(await height()).toBeLessThanOrEqual(141);
    await input.fill('a'.repeat(1850));
    await expect.poll(() => widget().locator('.counter').textContent()).toBe('1850/2000 characters');
    await input.fill('');
    await input.evaluate((node: HTMLTextAreaElement) => node.focus());
    await page.keyboard.insertText('b'.repeat(2100));
    expect((await input.inputValue()).length).toBe(2000);
    await expect.poll(() => widget().locator('.counter').textContent()).toBe('Limit of 2000 characters reached');
    expect(await widget().locator('.counter').isVisible()).toBe(true);
  });

  it('asks before starting over, and starting over during a stream cancels it and frees the input at once', async () => {
    await page.goto(hostPage('reset', { attributes: 'data-lang="en"' }));
    await openWidget();
    await ask('Can I swim with the Pulse Band 3?');
    llm.mode = 'slow';
    llm.tokenDelayMs = 50;
    const cancelledBefore = llm.cancelled;
    await widget().locator('textarea.input').fill('How long does the Pulse Band 3 battery last?');
    await widget().locator('textarea.input').press('Enter');
    await expect.poll(() => widget().locator('.content').count(), { timeout: 20_000 }).toBeGreaterThan(0);
    await widget().locator('button.reset').click();
    await expect.poll(() => widget().locator('.confirm').isVisible()).toBe(true);
    await widget().locator('.confirm-no').click();
    expect(await widget().locator('.msg.user').count()).toBe(2);
    await widget().locator('button.reset').click();
    await widget().locator('.confirm-yes').click();
    expect(await widget().locator('.msg.user').count()).toBe(0);
    expect(await widget().locator('form button[type="submit"]').isDisabled()).toBe(false);
    await expect.poll(() => llm.cancelled, { timeout: 10_000 }).toBeGreaterThan(cancelledBefore);
    llm.mode = 'answer';
    llm.tokenDelayMs = 5;
    await ask('How do I reset the Glow bulb?');
    expect(await widget().locator('.msg.user').count()).toBe(1);
  });

  it('makes the human contact of a refusal tap-to-call and tap-to-write links, reported as a handoff event', async () => {
    await page.goto(hostPage('contact', { attributes: 'data-lang="en"' }));
    await page.evaluate(() => {
      (window as unknown as { handoffs: unknown[] }).handoffs = [];
      (window as unknown as { Kefu: { on(event: string, listener: (detail: unknown) => void): void } }).Kefu.on('handoff', (detail) => (window as unknown as { handoffs: unknown[] }).handoffs.push(detail));
    });
    await openWidget();
    const refusal = await ask('What is the capital of Australia and who designed its parliament building?');
    expect(await refusal.getAttribute('data-state')).toBe('refusal');
    const tel = refusal.locator('a[href^="tel:"]');
    expect(await tel.getAttribute('href')).toBe('tel:+18005550142');
    expect(await refusal.locator('a[href^="mailto:"]').getAttribute('href')).toBe('mailto:support@lumora.example');
    await tel.evaluate((node: HTMLAnchorElement) => node.addEventListener('click', (event) => event.preventDefault()));
    await tel.click();
    const handoffs = await page.evaluate(() => (window as unknown as { handoffs: { reason: string; channel?: string }[] }).handoffs);
    expect(handoffs.map((entry) => entry.reason)).toEqual(['refusal', 'contact']);
    expect(handoffs[1]!.channel).toBe('phone');
  });
});

describe('starting and ending a conversation', () => {
  it("suggests the product line's questions in the UI language when a conversation starts; a click asks one", async () => {
    await page.goto(hostPage('suggest-c', { attributes: 'data-lang="en" data-product-line="C"' }));
    await openWidget();
    const chips = widget().locator('.suggestions .chip');
    await expect.poll(() => chips.count()).toBe(3);
    expect(await chips.first().textContent()).toBe('Which phones work with Drive Link?');
    await chips.first().click();
    await expect.poll(() => widget().locator('.msg.user').count()).toBe(1);
    expect(await widget().locator('.msg.user').first().textContent()).toContain('Which phones work with Drive Link?');
    expect(await widget().locator('.suggestions').count()).toBe(0);
    await expect.poll(() => bot().last().getAttribute('aria-busy'), { timeout: 30_000 }).toBeNull();
    await context.close();
    context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'zh-CN' });
    page = await context.newPage();
    await page.goto(hostPage('suggest-zh', { attributes: 'data-lang="zh"' }));
    await openWidget();
    await expect.poll(() => widget().locator('.suggestions .chip').first().textContent()).toBe('退货政策是怎样的？');
  });

  it('asks for a 1–5 star rating of the conversation when the visitor closes it after an answer, once', async () => {
    const ratings: unknown[] = [];
    page.on('request', (outgoing) => {
      if (outgoing.url().endsWith('/rating') && outgoing.method() === 'POST') ratings.push(JSON.parse(outgoing.postData() ?? '{}'));
    });
    await page.goto(hostPage('rating', { attributes: 'data-lang="en"' }));
    await openWidget();
    expect(await widget().locator('.rating').count()).toBe(0);
    await ask('Can I swim with the Pulse Band 3?');
    await widget().locator('button.close').click();
    await openWidget();
    const card = widget().locator('.rating');
    expect(await card.count()).toBe(1);
    await card.getByRole('button', { name: '4 stars' }).click();
    await expect.poll(() => card.textContent()).toContain('Thanks for rating');
    await expect.poll(() => ratings).toEqual([{ stars: 4 }]);
    await widget().locator('button.close').click();
    await openWidget();
    expect(await widget().locator('.rating button').count()).toBe(0);
  });
});

describe('citations', () => {
  it('numbers citations 1, 2 in order of use, names title and section, and shows no internal path', async () => {
    llm.mode = 'later-sources';
    await page.goto(hostPage('citations', { attributes: 'data-lang="en"' }));
    await openWidget();
    const answer = await ask('Can I swim with the Pulse Band 3 and how long does its battery last?');
    const markers = await answer.locator('a.cite').allTextContents();
    expect(markers).toEqual(['[1]', '[2]']);
    const items = answer.locator('.sources li');
    expect(await items.count()).toBe(2);
    expect(await items.evaluateAll((nodes) => nodes.map((node) => (node as HTMLLIElement).value))).toEqual([1, 2]);
    const text = (await answer.textContent()) ?? '';
    expect(text).not.toMatch(/\.(md|csv|jsonl|html|pdf|txt)\b/);
    // The first marker opens the first listed source.
    await answer.locator('a.cite').first().click();
    expect(await items.first().getAttribute('class')).toContain('flash');
  });

  it('links every cited source to its public page: its own URL, else the CITATION_URLS template', async () => {
    await page.goto(hostPage('citation-url', { attributes: 'data-lang="en"' }));
    await openWidget();
    const answer = await ask('How do I reset the Glow bulb?');
    const links = answer.locator('.sources a.page');
    expect(await links.count()).toBe(await answer.locator('.sources li').count());
    const hrefs = await links.evaluateAll((nodes) => nodes.map((node) => (node as HTMLAnchorElement).href));
    for (const href of hrefs) expect(href).toMatch(/^https:\/\/help\.lumora\.example\//);
    expect(await links.first().getAttribute('rel')).toContain('noopener');
  });
});

describe('handing over to a person', () => {
  it('offers a form with a refusal; the request reaches the service and the helpdesk webhook, signed', async () => {
    await page.goto(hostPage('handoff', { attributes: 'data-lang="en"' }));
    await openWidget();
    const refusal = await ask('What is the capital of Australia and who designed its parliament building?');
    await refusal.locator('.handoff-open').click();
    const form = refusal.locator('.handoff-form');
    expect(await form.locator('textarea').inputValue()).toBe('What is the capital of Australia and who designed its parliament building?');
    await form.locator('input[name="name"]').fill('Mia Chen');
    await form.locator('input[name="email"]').fill('not-an-address');
    await form.locator('button[type="submit"]').click();
    expect(await form.locator('[role="status"]').textContent()).toContain('valid e-mail');
    await form.locator('input[name="email"]').fill('mia@example.com');
    await form.locator('input[name="consent"]').check();
    await page.screenshot({ path: path.join(ARTIFACTS, '25-handoff-form.png') });
    await form.locator('button[type="submit"]').click();
    await expect.poll(() => refusal.locator('.handoff [role="status"]').textContent()).toContain('A member of our support team will reply');
    await expect.poll(() => webhookCalls.length, { timeout: 10_000 }).toBe(1);
    const call = webhookCalls[0]!;
    expect(call.body.handoff).toMatchObject({ name: 'Mia Chen', email: 'mia@example.com', consent: true, lang: 'en', answerId: expect.any(String), sessionId: expect.any(String) });
    const { createHmac } = await import('node:crypto');
    expect(call.signature).toBe(`sha256=${createHmac('sha256', 'test-secret').update(JSON.stringify(call.body)).digest('hex')}`);
  });
});

describe('phones', () => {
  it('is a modal dialog full screen on a phone: focus stays inside, the page does not scroll, the input does not zoom', async () => {
    await context.close();
    context = await browser.newContext({ viewport: { width: 375, height: 667 }, isMobile: true, hasTouch: true, locale: 'en-US' });
    page = await context.newPage();
    await page.goto(hostPage('phone', { attributes: 'data-lang="en"', body: '<a href="#">Page link</a><div style="height:3000px">Tall page</div>' }));
    await openWidget();
    expect(await widget().locator('.panel').getAttribute('aria-modal')).toBe('true');
    expect(await page.evaluate(() => getComputedStyle(document.documentElement).overflow)).toBe('hidden');
    expect(await widget().locator('textarea.input').evaluate((node) => getComputedStyle(node).fontSize)).toBe('16px');
    for (let step = 0; step < 15; step++) {
      await page.keyboard.press('Tab');
      expect(await page.evaluate(() => document.activeElement?.tagName)).toBe('KEFU-CHAT');
    }
    await widget().locator('button.close').click();
    expect(await page.evaluate(() => getComputedStyle(document.documentElement).overflow)).not.toBe('hidden');
  });

  it('leaves most of a landscape phone screen (667×375) to the conversation', async () => {
    await context.close();
    context = await browser.newContext({ viewport: { width: 667, height: 375 }, isMobile: true, hasTouch: true, locale: 'en-US' });
    page = await context.newPage();
    await page.goto(hostPage('landscape', { attributes: 'data-lang="en"' }));
    await openWidget();
    await ask('Can I swim with the Pulse Band 3?');
    expect(await widget().locator('.log').evaluate((node) => node.getBoundingClientRect().height)).toBeGreaterThanOrEqual(220);
    await shot('24-landscape-phone');
  });
});

describe('the page and the widget', () => {
  it('offers Kefu.open/close/ask/setProductLine and answer events; an answer that arrives while closed shows an unread badge', async () => {
    const bodies: Record<string, unknown>[] = [];
    await page.route('**/v1/ask', async (route) => {
      bodies.push(JSON.parse(route.request().postData() ?? '{}'));
      await route.continue();
    });
    await page.goto(hostPage('api', { attributes: 'data-lang="en"' }));
    await page.evaluate(() => {
      const w = window as unknown as { events: string[]; Kefu: { on(event: string, listener: (detail: { answerId?: string }) => void): void } };
      w.events = [];
      for (const name of ['open', 'close', 'answer', 'refusal']) w.Kefu.on(name, (detail) => w.events.push(`${name}${detail.answerId ? ':id' : ''}`));
    });
    await page.evaluate(() => (window as unknown as { Kefu: { setProductLine(line: string): void } }).Kefu.setProductLine('C'));
    await page.evaluate(() => (window as unknown as { Kefu: { ask(text: string): Promise<void> } }).Kefu.ask('Does the Drive Cam D1 need a special memory card?'));
    expect(bodies.at(-1)!.productLine).toBe('C');
    const unread = widget().locator('.unread');
    expect(await unread.textContent()).toBe('1');
    expect(await widget().locator('.launcher').getAttribute('aria-label')).toContain('1 new message');
    await page.evaluate(() => (window as unknown as { Kefu: { open(): void } }).Kefu.open());
    expect(await unread.isVisible()).toBe(false);
    expect(await bot().count()).toBeGreaterThanOrEqual(1);
    await page.evaluate(() => (window as unknown as { Kefu: { close(): void } }).Kefu.close());
    expect(await page.evaluate(() => (window as unknown as { events: string[] }).events)).toEqual(['answer:id', 'open', 'close']);
  });

  it('animates the typing indicator only without prefers-reduced-motion', async () => {
    llm.mode = 'slow';
    for (const [motion, expected] of [['reduce', 'none'], ['no-preference', 'kefu-blink']] as const) {
      await page.emulateMedia({ reducedMotion: motion });
      await page.goto(hostPage(`motion-${motion}`, { attributes: 'data-lang="en"' }));
      await openWidget();
      await widget().locator('textarea.input').fill('How long does the Pulse Band 3 battery last?');
      await widget().locator('textarea.input').press('Enter');
      const dot = widget().locator('.dots i').first();
      await expect.poll(() => dot.count()).toBe(1);
      expect(await dot.evaluate((node) => getComputedStyle(node).animationName)).toBe(expected);
    }
  });

  it('has no serious or critical axe-core violations, open with an answer, light and dark', async () => {
    const axe = await readFile('node_modules/axe-core/axe.min.js', 'utf8');
    for (const theme of ['light', 'dark']) {
      await page.goto(hostPage(`axe-${theme}`, { attributes: `data-lang="en" data-theme="${theme}"`, head: '<title>Host</title>' }));
      await openWidget();
      await ask('How long does the Pulse Band 3 battery last?');
      await page.addScriptTag({ content: axe });
      const violations = await page.evaluate(async () => {
        const result = await (window as unknown as { axe: { run(context: unknown, options: unknown): Promise<{ violations: { id: string; impact: string; nodes: unknown[] }[] }> } }).axe.run({ include: [['kefu-chat']] }, { resultTypes: ['violations'] });
        return result.violations.map((violation) => ({ id: violation.id, impact: violation.impact, nodes: (violation.nodes as { target: unknown; failureSummary: string }[]).map((node) => `${JSON.stringify(node.target)} ${node.failureSummary}`) }));
      });
      expect(violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical'), theme).toEqual([]);
    }
  });

  it('keeps the bundle under 40 KB gzipped', async () => {
    const bundle = await readFile('dist/widget.js');
    const gzipped = gzipSync(bundle).length;
    console.log(`widget bundle: ${(bundle.length / 1024).toFixed(1)} KB, ${(gzipped / 1024).toFixed(1)} KB gzipped`);
    expect(gzipped).toBeLessThanOrEqual(40 * 1024);
  });
});
