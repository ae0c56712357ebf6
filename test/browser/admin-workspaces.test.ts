import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { ingestKnowledgeBase } from '../../src/ingest-knowledge-base.js';
import type { Service } from '../../src/service.js';
import { startBrowserStack } from '../support/browser-stack.js';
import { realEmbedders, tempDir } from '../support/real-stack.js';
import { testKey } from '../support/workspaces.js';

/** The workspace switcher of /admin in Chromium: an operator creates a workspace, switches to it, and the page acts there. */
const operator = testKey('ops', ['operator']);
const admin = testKey('default-admin', ['admin']);
let service: Service;
let closeStack: () => Promise<void>;
let browser: Browser;
let base: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  const temp = await tempDir('admin-workspaces');
  cleanup = temp.remove;
  const knowledge = path.join(temp.dir, 'knowledge');
  await mkdir(knowledge, { recursive: true });
  await writeFile(path.join(knowledge, 'battery.md'), '# Battery\nThe Lock L1 runs for a year on four AA batteries.\n');
  const config = loadConfig({
    KNOWLEDGE_DIR: knowledge,
    DB_DIR: path.join(temp.dir, 'db'),
    STATE_LOG_DIR: path.join(temp.dir, 'logs'),
    WORKSPACES_DIR: path.join(temp.dir, 'workspaces'),
    CALIBRATION_ENABLED: 'false',
    LOG_LEVEL: 'silent',
    EMBEDDING_MODEL_MULTI: 'none',
    SOURCE_SCHEDULER_SECONDS: '0',
    API_KEYS: JSON.stringify([operator.entry, admin.entry]),
    // Workspace eta's WeChat and webhook secrets, as the deployment holds them; none for its Feishu bot.
    WORKSPACE_SECRETS: JSON.stringify({ eta: { WECHAT_APP_SECRET: 'eta-wechat-app-secret', WECHAT_TOKEN: 'EtaWechatToken1', HANDOFF_WEBHOOK_SECRET: 'eta-webhook-secret-0001' } }),
  });
  await ingestKnowledgeBase(config, await realEmbedders());
  ({ service, base, browser, close: closeStack } = await startBrowserStack(config));
}, 240_000);

afterAll(async () => {
  await closeStack?.();
  await cleanup?.();
});

/** The admin page signed in with the operator key, and the page errors it shows. */
async function signInAsOperator() {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${base}/admin`);
  await page.fill('#key', operator.secret);
  await page.click('#key-form button');
  return { page, errors };
}

describe('the workspace switcher of the admin page', () => {
  it('is shown to an operator, creates a workspace, and every section then acts in the chosen workspace', async () => {
    const { page, errors } = await signInAsOperator();
    await page.locator('#workspaces').waitFor({ state: 'visible' });
    await page.fill('#workspace-id', 'zeta');
    await page.fill('#workspace-name', 'Zeta brand');
    await page.click('#workspace-create button');
    await page.locator('#workspace-list tbody tr', { hasText: 'Zeta brand' }).waitFor();
    await page.selectOption('#workspace-select', 'zeta');
    await page.waitForFunction(() => sessionStorage.getItem('kefu-workspace') === 'zeta');
    // "Re-ingest now" starts the job in zeta, not in default.
    await page.click('#ingest');
    const zetaJobs = async () => (await request(service.app).get('/v1/admin/jobs').set({ 'x-api-key': operator.secret, 'x-kefu-workspace': 'zeta' })).body.jobs.length;
    await expect.poll(zetaJobs, { timeout: 20_000 }).toBe(1);
    expect((await request(service.app).get('/v1/admin/jobs').set({ 'x-api-key': admin.secret })).body.jobs).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('is hidden from a workspace admin', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/admin`);
    await page.evaluate(() => sessionStorage.clear());
    await page.fill('#key', admin.secret);
    const refused = page.waitForResponse((response) => response.url().endsWith('/v1/admin/workspaces'));
    await page.click('#key-form button');
    expect((await refused).status()).toBe(403);
    expect(await page.locator('#workspaces').isHidden()).toBe(true);
  });

  it('edits a workspace’s channel account ids and hand-off webhook, shows which secrets are missing, and never asks for one', async () => {
    const ops = { 'x-api-key': operator.secret };
    expect((await request(service.app).post('/v1/admin/workspaces').set(ops).send({ id: 'eta', name: 'Eta brand' })).status).toBe(201);
    const { page, errors } = await signInAsOperator();
    await page.locator('#workspace-select option[value="eta"]').waitFor({ state: 'attached' });
    await page.selectOption('#workspace-select', 'eta');
    const section = page.locator('#workspace-channels');
    await section.waitFor({ state: 'visible' });
    await expect.poll(() => section.locator('[data-missing="feishu"]').textContent()).toContain('FEISHU_APP_SECRET');
    expect(await section.locator('[data-missing="wechat"]').textContent()).toContain('are in WORKSPACE_SECRETS');
    // The form says where secrets go and has no field for one.
    expect(await section.textContent()).toContain('WORKSPACE_SECRETS');
    expect(await section.locator('input[type="password"]').count()).toBe(0);

    await section.locator('input[name="wechat-appId"]').fill('wx00000000000000e7');
    await page.fill('#workspace-webhook-url', 'https://helpdesk.eta.example/kefu');
    await section.locator('button').click();
    await expect.poll(() => page.textContent('#workspace-channels-status')).toBe('Saved.');
    const saved = (await request(service.app).get('/v1/admin/workspaces/eta').set(ops)).body;
    expect(saved.settings).toMatchObject({ channels: { wechat: { appId: 'wx00000000000000e7' } }, handoffWebhook: { url: 'https://helpdesk.eta.example/kefu' } });

    // A Feishu bot without its secrets in the deployment's settings is not saved, and the page says what to set.
    await section.locator('input[name="feishu-appId"]').fill('cli_e7e7e7e7e7e7e7e7');
    await section.locator('input[name="feishu-botOpenId"]').fill('ou_eta_bot_000000000000000000001');
    await section.locator('button').click();
    await expect.poll(() => page.textContent('#workspace-channels-status')).toContain('FEISHU_APP_SECRET');
    expect((await request(service.app).get('/v1/admin/workspaces/eta').set(ops)).body.settings.channels.feishu).toBeUndefined();
    expect(errors).toEqual([]);
  });
});
