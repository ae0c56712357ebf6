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
  });
  await ingestKnowledgeBase(config, await realEmbedders());
  ({ service, base, browser, close: closeStack } = await startBrowserStack(config));
}, 240_000);

afterAll(async () => {
  await closeStack?.();
  await cleanup?.();
});

describe('the workspace switcher of the admin page', () => {
  it('is shown to an operator, creates a workspace, and every section then acts in the chosen workspace', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${base}/admin`);
    await page.fill('#key', operator.secret);
    await page.click('#key-form button');
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
});
