import { cp, mkdir, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smallKnowledgeAdminConfig } from '../support/admin-page-stack.js';
import { ingestKnowledgeBase } from '../../src/ingest-knowledge-base.js';
import { startBrowserStack } from '../support/browser-stack.js';
import { HelpCentreSite } from '../support/help-centre-site.js';
import { listenLocal } from '../support/listen.js';
import { realEmbedders, tempDir } from '../support/real-stack.js';

/** The sources table of /admin in Chromium: a website source, "Sync now", and its row showing the sync's outcome. */
const adminKey = 'kefu_admin_sources_page0123456789abcdefg';
let closeStack: () => Promise<void>;
let siteServer: Server;
let browser: Browser;
let base: string;
let site: HelpCentreSite;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  const temp = await tempDir('admin-sources');
  cleanup = temp.remove;
  site = new HelpCentreSite('knowledge');
  ({ server: siteServer, base: site.base } = await listenLocal(site.handler));
  const knowledge = path.join(temp.dir, 'knowledge');
  await mkdir(knowledge, { recursive: true });
  await cp('knowledge/product-lines.yaml', path.join(knowledge, 'product-lines.yaml'));
  await writeFile(
    path.join(knowledge, 'sources.yaml'),
    `sources:\n  - id: help\n    type: website\n    name: Help Centre\n    startUrls: ["${site.base}/articles/policies/warranty.en"]\n    include: ["/articles/policies/"]\n    schedule: 1d\n    limits: { delayMs: 0 }\n`,
  );
  const config = smallKnowledgeAdminConfig(temp.dir, adminKey, {
    SOURCES_FILE: path.join(knowledge, 'sources.yaml'),
    SOURCES_CACHE_DIR: path.join(temp.dir, 'sources'),
    SOURCE_FETCH_ALLOW: '127.0.0.1',
    SOURCE_SCHEDULER_SECONDS: '0',
  });
  await ingestKnowledgeBase(config, await realEmbedders(), { sync: 'all' });
  ({ base, browser, close: closeStack } = await startBrowserStack(config));
}, 240_000);

afterAll(async () => {
  await closeStack?.();
  siteServer?.close();
  await cleanup?.();
});

describe('the sources table of the admin page', () => {
  it('lists the sources; "Sync now" runs a job and the row shows its pages and changes', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${base}/admin`);
    await page.fill('#key', adminKey);
    await page.click('#key-form button');
    const row = page.locator('#sources tbody tr', { hasText: 'Help Centre (help)' });
    await row.waitFor();
    await expect(page.locator('#sources tbody tr').first().textContent()).resolves.toMatch(/^knowledge\s*folder/);
    await expect(row.textContent()).resolves.toContain(`website ${site.base}/articles/policies/warranty.en`);
    site.change('/articles/policies/returns.en', `${site.pages.get('/articles/policies/returns.en')!.body}<p>Returns of opened earbuds are accepted within 14 days.</p>`);
    await row.getByRole('button', { name: 'Sync now' }).click();
    const pages = [...site.pages.keys()].filter((key) => key.startsWith('/articles/policies/')).length;
    // The job runs in a child process: the page follows it and refreshes the row when it ends.
    const done = page.locator('#sources tbody tr', { hasText: 'succeeded' });
    await done.waitFor({ timeout: 110_000 });
    const text = (await done.textContent()) ?? '';
    expect(text).toContain(`${pages}+0 ~1 −0; 1 fetched`);
    await mkdir('test-artifacts/sources', { recursive: true });
    await page.screenshot({ path: 'test-artifacts/sources/admin-sources.png', fullPage: true });
    expect(errors).toEqual([]);
  });
});
