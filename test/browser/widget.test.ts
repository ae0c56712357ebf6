import { createServer, type Server } from 'node:http';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OpenAiChatModel } from '../../src/answer/chat-model.js';
import { createLogger } from '../../src/log.js';
import { buildService, type Service } from '../../src/service.js';
import { launchChromium } from '../support/browser.js';
import { FakeVllmServer } from '../support/fake-vllm-server.js';
import { ingestSampleKnowledge, realEmbedders, tempDir } from '../support/real-stack.js';
import { listenLocal } from '../support/listen.js';

// End to end: the real service (sample knowledge base, real model, LanceDB) with the vLLM test double
// streaming tokens, driven through Debian's Chromium. Screenshots go to test-artifacts/widget/.
const ARTIFACTS = 'test-artifacts/widget';
const HOSTILE_FAQ = {
  id: 'faq-xss-1',
  question: 'What is the Lumora promo code for the holiday sale?',
  answer: 'Use code <img src=x onerror="window.__xss=1"> or <script>window.__xss=2</script> and [click here](javascript:window.__xss=3) for 10% off.',
  product_line: 'general',
};

let llm: FakeVllmServer;
let service: Service;
let server: Server;
let hostile: Server;
let base: string;
let hostileBase: string;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let cleanup: () => Promise<void>;

const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
const widget = () => page.locator('kefu-chat');
const bot = () => widget().locator('.msg.bot');

async function openWidget() {
  await widget().locator('.launcher').click();
  await expect.poll(() => widget().locator('.panel').isVisible()).toBe(true);
}

async function ask(question: string) {
  const count = await bot().count();
  await widget().locator('textarea.input').fill(question);
  await widget().locator('textarea.input').press('Enter');
  await expect.poll(() => bot().count()).toBe(count + 1);
  await expect.poll(() => bot().last().getAttribute('aria-busy'), { timeout: 20_000 }).toBeNull();
  return bot().last();
}

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  const temp = await tempDir('browser');
  cleanup = temp.remove;
  const knowledge = path.join(temp.dir, 'knowledge');
  await cp('knowledge', knowledge, { recursive: true });
  await writeFile(path.join(knowledge, 'faq/hostile.jsonl'), JSON.stringify(HOSTILE_FAQ) + '\n');
  await writeFile(path.join(knowledge, 'policies/hostile.md'), '# Holiday promo <script>window.__xss=4</script>\nThe holiday promo page <img src=x onerror="window.__xss=5"> explains the promo code.');
  const config = await ingestSampleKnowledge(path.join(temp.dir, 'db'), { KNOWLEDGE_DIR: knowledge, STATE_LOG_DIR: path.join(temp.dir, 'logs'), RATE_LIMIT_IP_BURST: '100000' });
  llm = await new FakeVllmServer().start();
  llm.tokenDelayMs = 25;
  const chatModel = new OpenAiChatModel({ baseURL: llm.baseURL, apiKey: 'x', model: config.LLM_MODEL, timeoutMs: 10_000, firstTokenTimeoutMs: 5000 });
  service = await buildService(config, createLogger('silent'), { embedders: await realEmbedders(), chatModel });
  ({ server, base } = await listenLocal(service.app));

  // A customer's page on another origin, with CSS that tries to break everything.
  hostile = createServer((_request, response) => {
    response.setHeader('content-type', 'text/html; charset=utf-8');
    response.end(`<!DOCTYPE html><html><head><style>
      * { all: unset !important; display: none !important; font-size: 2px !important; color: red !important; }
      html, body { display: block !important; background: #222 !important; }
      button, textarea, section, div { visibility: hidden !important; position: static !important; }
      #host-text { display: block !important; color: rgb(0, 128, 0) !important; }
    </style></head><body><p id="host-text">Host page text</p>
    <script src="${base}/widget.js" data-lang="en" data-color="#ffeeee"></script></body></html>`);
  });
  hostileBase = (await listenLocal(hostile)).base;

  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  server?.close();
  hostile?.close();
  await llm?.stop();
  await service?.close();
  await cleanup?.();
});

beforeEach(async () => {
  await context?.close();
  context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'zh-CN' });
  page = await context.newPage();
  llm.mode = 'answer';
});

describe('the chat widget in a real browser', () => {
  it('streams a Chinese answer token by token, with citations and the product line', async () => {
    await page.goto(base + '/');
    await openWidget();
    await shot('01-open-zh');
    await widget().locator('textarea.input').fill('手环可以戴着游泳吗？');
    await widget().locator('textarea.input').press('Enter');
    const answer = bot().last();
    // Partial text appears before the stream ends: the answer grows while aria-busy is set.
    await expect.poll(async () => ((await answer.getAttribute('aria-busy')) === 'true' ? ((await answer.textContent()) ?? '').length : 0), { timeout: 10_000 }).toBeGreaterThan(3);
    const partial = (await answer.textContent()) ?? '';
    await expect.poll(() => answer.getAttribute('aria-busy'), { timeout: 15_000 }).toBeNull();
    expect(partial.length).toBeLessThan(((await answer.textContent()) ?? '').length);
    expect(await answer.textContent()).toContain('根据资料，可以这样处理。');
    expect(await answer.locator('.badge').textContent()).toContain('健康穿戴');
    // The visible AI-content label under a generated answer (CONTENT_LABEL_AI_ZH).
    expect(await answer.locator('.ai-label').textContent()).toBe('本回答由 AI 生成，仅供参考');
    const citations = answer.locator('.sources li');
    expect(await citations.count()).toBe(2);
    await answer.locator('a.cite').first().click();
    expect(await citations.first().locator('details').getAttribute('open')).not.toBeNull();
    expect(await citations.first().locator('.snippet').textContent()).toMatch(/5ATM/);
    await shot('02-answer-zh-with-citations');
  });

  it('answers in English with the English UI', async () => {
    const english = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 860 } });
    page = await english.newPage();
    await page.goto(base + '/');
    await openWidget();
    expect(await widget().locator('textarea.input').getAttribute('placeholder')).toBe('Ask a question…');
    const answer = await ask('What memory card does the dash cam need?');
    expect(await answer.textContent()).toContain('According to our guide');
    expect(await answer.locator('.badge').textContent()).toMatch(/In-Car Devices/);
    expect(await answer.locator('.sources li').count()).toBeGreaterThan(0);
    await shot('03-answer-en');
    await english.close();
  });

  it('speaks Arabic to an Arabic browser: right-to-left panel, Arabic strings, and the reply\'s own text in Arabic', async () => {
    const arabic = await browser.newContext({ locale: 'ar-EG', viewport: { width: 1280, height: 860 } });
    page = await arabic.newPage();
    await page.goto(base + '/');
    await openWidget();
    const panel = widget().locator('.panel');
    expect(await panel.getAttribute('dir')).toBe('rtl');
    expect(await panel.getAttribute('lang')).toBe('ar');
    expect(await widget().locator('textarea.input').getAttribute('placeholder')).toBe('اكتب سؤالك…');
    // The panel's text runs from the right (the input box follows what is typed: dir="auto").
    expect(await panel.evaluate((node) => [getComputedStyle(node).direction, getComputedStyle(node).textAlign])).toEqual(['rtl', 'right']);
    const answer = await ask('ما هي عاصمة كندا؟');
    // Off-topic: whichever outcome the cross-lingual decision takes, what the customer reads comes from the Arabic
    // catalogue: the refusal, the middle band's "did you mean" (a world-knowledge question can sit close enough to a
    // product FAQ for suggestions), or a quote's notice.
    expect(await answer.textContent()).toMatch(/عذرًا، لم أجد في مقالات المساعدة|لست متأكدًا من أن مقالات المساعدة|مقتبسة حرفيًا من مقالات المساعدة/);
    await shot('03b-refusal-ar-rtl');
    await arabic.close();
  });

  it('shows a refusal distinctly, with the human contact', async () => {
    await page.goto(base + '/');
    await openWidget();
    const answer = await ask('红烧肉怎么做才好吃');
    expect(await answer.getAttribute('data-state')).toBe('refusal');
    expect(await answer.locator('.refusal-title').textContent()).toBe('需要人工帮助');
    expect(await answer.textContent()).toContain('400-820-1234');
    expect(await answer.locator('.feedback').count()).toBe(0);
    await shot('04-refusal');
  });

  it('marks a fallback answer as quoted when the model fails', async () => {
    llm.mode = 'error-500';
    await page.goto(base + '/');
    await openWidget();
    const answer = await ask('停车监控需要什么配件？');
    expect(await answer.getAttribute('data-state')).toBe('fallback');
    expect(await answer.locator('.notice').textContent()).toMatch(/摘自帮助资料/);
    await shot('05-fallback');
  });

  it('answers a follow-up in the same conversation and keeps it across a reload; new conversation clears it', async () => {
    await page.goto(base + '/');
    await openWidget();
    await ask('Drive Link 支持哪些手机？');
    const followUp = await ask('那它支持安卓吗？');
    expect(await followUp.locator('.badge').textContent()).toContain('车载设备');
    await page.reload();
    await expect.poll(() => widget().locator('.panel').isVisible()).toBe(true);
    await expect.poll(() => widget().locator('.msg.user').count()).toBe(2);
    expect(await widget().locator('.msg.user').nth(1).textContent()).toContain('那它支持安卓吗？');
    expect(await bot().count()).toBe(2);
    await shot('06-history-after-reload');
    await widget().locator('button.reset').click();
    // It asks before discarding the conversation (second round, defect 12).
    await widget().locator('.confirm-yes').click();
    await expect.poll(() => widget().locator('.msg.user').count()).toBe(0);
    await page.reload();
    await expect.poll(() => bot().count()).toBe(1);
    expect(await widget().locator('.msg.user').count()).toBe(0);
  });

  it('sends thumbs down with a comment to the feedback endpoint', async () => {
    await page.goto(base + '/');
    await openWidget();
    const answer = await ask('手环充满电要多久？');
    await answer.locator('.feedback button[aria-label="没有帮助"]').click();
    await answer.locator('.feedback textarea').fill('太简短了');
    const [request] = await Promise.all([page.waitForRequest((candidate) => candidate.url().endsWith('/v1/feedback')), answer.locator('.feedback button', { hasText: '提交' }).click()]);
    expect(JSON.parse(request.postData()!)).toMatchObject({ rating: 'down', comment: '太简短了' });
    expect((await request.response())!.status()).toBe(201);
    await expect.poll(() => answer.locator('.feedback').textContent()).toContain('感谢');
    await shot('07-feedback');
  });

  it('explains errors (429, 5xx, network down) with a retry button that works', async () => {
    await page.goto(base + '/');
    await openWidget();
    let calls = 0;
    await page.route('**/v1/ask', (route) => {
      calls++;
      if (calls === 1) return route.fulfill({ status: 429, headers: { 'retry-after': '7', 'content-type': 'application/json' }, body: '{"error":{"code":"rate_limited"}}' });
      if (calls === 2) return route.fulfill({ status: 503, contentType: 'application/json', body: '{}' });
      if (calls === 3) return route.abort('internetdisconnected');
      return route.continue();
    });
    const answer = await ask('手环续航多久？');
    expect(await answer.getAttribute('data-state')).toBe('error');
    expect(await answer.textContent()).toContain('7 秒后再试');
    await shot('08-error-429');
    await answer.locator('button.retry').click();
    await expect.poll(() => answer.textContent()).toContain('服务暂时出了点问题');
    await answer.locator('button.retry').click();
    await expect.poll(() => answer.textContent()).toContain('网络连接失败');
    await answer.locator('button.retry').click();
    await expect.poll(() => answer.getAttribute('data-state'), { timeout: 15_000 }).toBe('generated');
    expect(await widget().locator('.msg.user').count()).toBe(1);
  });

  it('renders XSS in a question and in documents as text', async () => {
    await page.goto(base + '/');
    await openWidget();
    const question = '<img src=x onerror="window.__xss=9"> What is the Lumora promo code for the holiday sale?';
    llm.mode = 'no-citation';
    const answer = await ask(question);
    expect(await widget().locator('.msg.user').last().textContent()).toContain('<img src=x onerror="window.__xss=9">');
    // No LLM citation: the extractive answer quotes the hostile FAQ entry verbatim.
    expect(await answer.textContent()).toContain('<script>window.__xss=2</script>');
    expect(await answer.locator('img, script').count()).toBe(0);
    expect(await answer.locator('a[href^="javascript"]').count()).toBe(0);
    await page.waitForTimeout(200);
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    await shot('09-xss-as-text');
  });
});

describe('the widget on difficult pages and devices', () => {
  it('survives a hostile host stylesheet and leaves the host page alone', async () => {
    await page.goto(hostileBase + '/');
    await expect.poll(() => widget().locator('.launcher').isVisible()).toBe(true);
    const box = await widget().locator('.launcher').boundingBox();
    expect(box!.width).toBeGreaterThan(50);
    await openWidget();
    const panel = await widget().locator('.panel').boundingBox();
    expect(panel!.width).toBeGreaterThan(300);
    expect(await widget().locator('textarea.input').evaluate((element) => getComputedStyle(element).fontSize)).not.toBe('2px');
    expect(await page.locator('#host-text').evaluate((element) => getComputedStyle(element).color)).toBe('rgb(0, 128, 0)');
    const answer = await ask('Can I swim with the Pulse Band 3?');
    expect(await answer.textContent()).toContain('According to our guide');
    // A too-light theme colour is darkened until white text on it meets WCAG AA.
    const header = await widget().locator('header').evaluate((element) => getComputedStyle(element).backgroundColor);
    expect(header).not.toBe('rgb(255, 238, 238)');
    await shot('10-hostile-css');
  });

  it('fills a 375 px phone screen', async () => {
    const phone = await browser.newContext({ viewport: { width: 375, height: 667 }, locale: 'zh-CN', isMobile: true, hasTouch: true });
    page = await phone.newPage();
    await page.goto(base + '/');
    await openWidget();
    const panel = await widget().locator('.panel').boundingBox();
    expect(panel!.width).toBeLessThanOrEqual(375);
    expect(panel!.width).toBeGreaterThan(360);
    const input = await widget().locator('textarea.input').boundingBox();
    expect(input!.y + input!.height).toBeLessThanOrEqual(667);
    await ask('手环可以戴着游泳吗？');
    const overflow = await widget().locator('.log').evaluate((element) => element.scrollWidth - element.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await shot('11-phone-375');
    await phone.close();
  });

  it('works with the keyboard alone, with focus managed and ARIA roles set', async () => {
    await page.goto(base + '/');
    for (let step = 0; step < 10; step++) {
      await page.keyboard.press('Tab');
      if (await widget().locator('.launcher').evaluate((element) => element.getRootNode() instanceof ShadowRoot && (element.getRootNode() as ShadowRoot).activeElement === element)) break;
    }
    expect(await widget().locator('.launcher').getAttribute('aria-expanded')).toBe('false');
    await page.keyboard.press('Enter');
    expect(await widget().locator('.launcher').getAttribute('aria-expanded')).toBe('true');
    expect(await widget().locator('.panel').getAttribute('role')).toBe('dialog');
    expect(await widget().locator('.log').getAttribute('role')).toBe('log');
    expect(await widget().locator('textarea.input').evaluate((element) => (element.getRootNode() as ShadowRoot).activeElement === element)).toBe(true);
    await page.keyboard.type('How long does the Pulse Band 3 battery last?');
    await page.keyboard.press('Enter');
    await expect.poll(() => bot().last().getAttribute('data-state'), { timeout: 15_000 }).toBe('generated');
    await page.keyboard.press('Escape');
    expect(await widget().locator('.panel').isHidden()).toBe(true);
    expect(await widget().locator('.launcher').evaluate((element) => (element.getRootNode() as ShadowRoot).activeElement === element)).toBe(true);
    await shot('12-keyboard-closed');
  });

  it('does not send on Enter while an input method is composing Chinese', async () => {
    await page.goto(base + '/');
    await openWidget();
    const input = widget().locator('textarea.input');
    await input.fill('shou');
    // What an IME produces: composition events and a keydown Enter with isComposing (keyCode 229) to pick a candidate.
    await input.evaluate((element) => {
      element.dispatchEvent(new CompositionEvent('compositionstart', { data: '' }));
      element.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', isComposing: true, bubbles: true, cancelable: true }));
      const legacy = new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true });
      Object.defineProperty(legacy, 'keyCode', { value: 229 });
      element.dispatchEvent(legacy);
      (element as HTMLTextAreaElement).value = '手环';
      element.dispatchEvent(new CompositionEvent('compositionend', { data: '手环' }));
    });
    await page.waitForTimeout(300);
    expect(await widget().locator('.msg.user').count()).toBe(0);
    expect(await input.inputValue()).toBe('手环');
    await input.press('Enter');
    await expect.poll(() => widget().locator('.msg.user').count()).toBe(1);
  });

  // Issue 12, defect 1: the browser's UI language is not the question's language.
  it('answers an English question in English, with English notices, in a widget whose UI is Chinese', async () => {
    await page.goto(base + '/');
    await openWidget();
    expect(await widget().locator('textarea.input').getAttribute('placeholder')).toBe('请输入您的问题…');
    // A question no other test asks: a cached answer would not reach the model.
    const before = llm.requests.length;
    const answer = await ask('Which microSD card size works in the Drive Cam D1?');
    expect(await answer.textContent()).toContain('According to our guide');
    expect(llm.requests.length).toBeGreaterThan(before);
    const asked = llm.requests.at(-1)!;
    expect(asked.messages[0].content).toContain('You are the online support assistant');
    // The widget tells the prompt where and when the visitor is (issue 14): its channel and time zone.
    expect(asked.messages[0].content).toContain('the chat widget on our website');
  });

  // Issue 12, defects 9 and 14: right-to-left text keeps its direction; screen readers hear who speaks, the
  // launcher says what it will do, and the close button is a 44 px target.
  it('marks direction on messages and input, prefixes replies for screen readers, and sizes the close button for touch', async () => {
    await page.goto(base + '/');
    expect(await widget().locator('.launcher').getAttribute('aria-label')).toBe('打开在线客服');
    await openWidget();
    expect(await widget().locator('.launcher').getAttribute('aria-label')).toBe('关闭在线客服');
    expect(await widget().locator('textarea.input').getAttribute('dir')).toBe('auto');
    const answer = await ask('مرحبا، هل السوار مقاوم للماء؟ Pulse Band 3');
    expect(await widget().locator('.msg.user').last().getAttribute('dir')).toBe('auto');
    expect(await answer.getAttribute('dir')).toBe('auto');
    expect(await answer.locator('.sr-only').first().textContent()).toBe('客服: ');
    const close = await widget().locator('header button.close').boundingBox();
    expect(close!.width).toBeGreaterThanOrEqual(44);
    expect(close!.height).toBeGreaterThanOrEqual(44);
    await shot('13-rtl-question');
    await widget().locator('header button.close').click();
    expect(await widget().locator('.launcher').getAttribute('aria-label')).toBe('打开在线客服');
  });

  // Issue 12, defect 5: a wrong key is the site's set-up, not the customer's wording.
  it('says the chat is misconfigured on a 401, and tells the site owner why in the console', async () => {
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    await page.goto(base + '/');
    await openWidget();
    await page.route('**/v1/ask', (route) => route.fulfill({ status: 401, contentType: 'application/json', body: '{"error":{"code":"invalid_api_key","message":"The API key is not valid"}}' }));
    const answer = await ask('手环续航多久？');
    expect(await answer.getAttribute('data-state')).toBe('error');
    expect(await answer.textContent()).toContain('客服设置有误');
    expect(await answer.textContent()).not.toContain('换个说法');
    expect(errors.some((text) => text.includes('invalid_api_key') && text.includes('data-api-key'))).toBe(true);
    await page.unroute('**/v1/ask');
    await page.route('**/v1/ask', (route) => route.abort('failed'));
    await answer.locator('button.retry').click();
    await expect.poll(() => answer.textContent()).toContain('网络连接失败');
    expect(errors.some((text) => text.includes("allowed origins") && text.includes(new URL(base).origin))).toBe(true);
  });
});
