import { cp, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smallKnowledgeAdminConfig } from '../support/admin-page-stack.js';
import { ingestKnowledgeBase } from '../../src/ingest-knowledge-base.js';
import { openAdminPage } from '../support/browser.js';
import { startBrowserStack } from '../support/browser-stack.js';
import { realEmbedders, tempDir } from '../support/real-stack.js';

/** /admin in Chromium: a held ingestion with the answer it broke, approved with the button; contradictions with both sources. */
const adminKey = 'kefu_admin_held_page0123456789abcdefghij';
let closeStack: () => Promise<void>;
let browser: Browser;
let base: string;
let knowledge: string;
let cleanup: () => Promise<void>;

const carePlan = (months: number) =>
  `# Care Plus protection plan\n\nCare Plus covers accidental damage of any Lumora device bought in the online store.\n\nWarranty: ${months} months from the date of purchase, with free repairs or a replacement device.\n`;

beforeAll(async () => {
  const temp = await tempDir('admin-held');
  cleanup = temp.remove;
  knowledge = path.join(temp.dir, 'knowledge');
  await mkdir(knowledge, { recursive: true });
  // A small knowledge base (the policies), so each ingestion takes seconds.
  await cp('knowledge/product-lines.yaml', path.join(knowledge, 'product-lines.yaml'));
  await cp('knowledge/policies', path.join(knowledge, 'policies'), { recursive: true });
  await writeFile(path.join(knowledge, 'policies', 'gift-cards.md'), '# Gift cards\n\nLumora gift cards never expire and can be used on every product in the online store.\n');
  await writeFile(path.join(knowledge, 'policies', 'care-plus.en.md'), carePlan(12));
  await writeFile(path.join(knowledge, 'policies', 'care-plus-summary.en.md'), carePlan(24));
  await writeFile(path.join(knowledge, 'regression-set.jsonl'), `${JSON.stringify({ id: 'gift', question: 'Do Lumora gift cards expire?', lang: 'en', docIds: ['policies/gift-cards.md'] })}\n`);
  const config = smallKnowledgeAdminConfig(temp.dir, adminKey);
  await ingestKnowledgeBase(config, await realEmbedders());
  ({ base, browser, close: closeStack } = await startBrowserStack(config));
}, 300_000);

afterAll(async () => {
  await closeStack?.();
  await cleanup?.();
});

describe('held versions and contradictions on the admin page', () => {
  it('lists the contradiction with both sources, shows a held ingestion with the answer it broke, and Approve serves it', async () => {
    const { page, errors } = await openAdminPage(browser, base, adminKey, { width: 1280, height: 1400 });
    const contradiction = page.locator('#contradictions tbody tr', { hasText: 'duration' });
    await contradiction.waitFor();
    const text = (await contradiction.textContent()) ?? '';
    expect(text).toContain('policies/care-plus.en.md');
    expect(text).toContain('policies/care-plus-summary.en.md');
    expect(text).toMatch(/12 months[\s\S]*24 months|24 months[\s\S]*12 months/);
    await expect(page.locator('#held-none').isVisible()).resolves.toBe(true);

    const api = async (route: string) => (await fetch(`${base}${route}`, { headers: { 'x-api-key': adminKey } })).json();
    const asked = await (
      await fetch(`${base}/v1/ask`, { method: 'POST', headers: { 'x-api-key': adminKey, 'content-type': 'application/json' }, body: JSON.stringify({ question: 'Do Lumora gift cards expire?' }) })
    ).json();
    expect(asked.sources.map((source: { docId: string }) => source.docId)).toContain('policies/gift-cards.md');

    await rm(path.join(knowledge, 'policies', 'gift-cards.md'));
    await page.click('#ingest');
    // The job runs in a child process; once it is over, the page is loaded again with the key.
    let job: { state: string; error?: string } = { state: 'running' };
    for (let attempt = 0; attempt < 600 && (job.state === 'running' || !job.state); attempt++) {
      await page.waitForTimeout(500);
      job = (await api('/v1/admin/jobs?limit=1')).jobs[0] ?? job;
    }
    expect(job).toMatchObject({ state: 'held' });
    await page.click('#key-form button');
    const held = page.locator('.held-job');
    await held.waitFor();
    const row = held.locator('.changed-answers tbody tr', { hasText: 'Do Lumora gift cards expire?' });
    await expect(row.textContent()).resolves.toMatch(/broke[\s\S]*pinned[\s\S]*policies\/gift-cards\.md/);
    const heldVersion = Number(/Version (\d+) held/.exec((await held.locator('h3').textContent()) ?? '')?.[1]);
    await mkdir('test-artifacts/regression', { recursive: true });
    await page.screenshot({ path: 'test-artifacts/regression/admin-held-versions.png', fullPage: true });

    await held.getByRole('button', { name: /Approve/ }).click();
    await page.locator('#status', { hasText: 'approved' }).waitFor();
    await page.locator('.held-job').waitFor({ state: 'detached' });
    await expect(page.locator('#held-none').isVisible()).resolves.toBe(true);
    const versions = await (await fetch(`${base}/v1/admin/versions`, { headers: { 'x-api-key': adminKey } })).json();
    expect(versions).toMatchObject({ current: heldVersion, published: heldVersion });
    expect(errors).toEqual([]);
  }, 400_000);
});
