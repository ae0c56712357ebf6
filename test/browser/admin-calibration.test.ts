import { cp, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smallKnowledgeAdminConfig } from '../support/admin-page-stack.js';
import { ingestKnowledgeBase } from '../../src/ingest-knowledge-base.js';
import { openAdminPage } from '../support/browser.js';
import { startBrowserStack } from '../support/browser-stack.js';
import { realEmbedders, tempDir } from '../support/real-stack.js';

/**
 * The refusal calibration on /admin: the cuts per language and the trade-off curve that only `npm run ingest` printed,
 * and what the section says of a version ingested without calibration. The page's own rendering of
 * GET /v1/admin/calibration; the calibration itself is tested where it is computed.
 */
const adminKey = 'kefu_admin_calibration_page0123456789abc';
let closeStack: () => Promise<void>;
let browser: Browser;
let base: string;
let cleanup: () => Promise<void>;

const calibrated = {
  version: 7,
  calibration: {
    version: 7,
    at: '2026-12-07T23:15:39.517Z',
    target: 0.05,
    confidentTarget: 0.3,
    languages: {
      zh: {
        threshold: 0.15,
        answerThreshold: 0.514,
        positives: 80,
        negatives: 48,
        negativesRefused: 0.896,
        auroc: 0.998,
        inDomainNegatives: 80,
        inDomainAnsweredConfidently: 0.3,
        curve: [
          { threshold: 0.1, answerableBelow: 0, inDomainBelow: 0.113, outOfDomainBelow: 0.813 },
          { threshold: 0.15, answerableBelow: 0, inDomainBelow: 0.188, outOfDomainBelow: 0.896 },
        ],
      },
      other: { threshold: 0.23, answerThreshold: 0.59, positives: 160, negatives: 36, negativesRefused: 0.583, auroc: 0.998 },
    },
  },
};

beforeAll(async () => {
  const temp = await tempDir('admin-calibration');
  cleanup = temp.remove;
  const knowledge = path.join(temp.dir, 'knowledge');
  await mkdir(knowledge, { recursive: true });
  await cp('knowledge/product-lines.yaml', path.join(knowledge, 'product-lines.yaml'));
  await cp('knowledge/policies', path.join(knowledge, 'policies'), { recursive: true });
  const config = smallKnowledgeAdminConfig(temp.dir, adminKey);
  await ingestKnowledgeBase(config, await realEmbedders());
  ({ base, browser, close: closeStack } = await startBrowserStack(config));
}, 240_000);

afterAll(async () => {
  await closeStack?.();
  await cleanup?.();
});

describe('refusal calibration on the admin page', () => {
  it('says a version ingested without calibration has none', async () => {
    const { page, errors } = await openAdminPage(browser, base, adminKey);
    await page.locator('#calibration-none').waitFor();
    await expect(page.locator('#calibration-band tbody tr').count()).resolves.toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows each language cuts and probes, and the trade-off curve with the chosen cut marked', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
    await page.route('**/v1/admin/calibration', (route) => route.fulfill({ json: calibrated }));
    await page.goto(`${base}/admin`);
    await page.fill('#key', adminKey);
    await page.click('#key-form button');
    const rows = page.locator('#calibration-band tbody tr');
    await rows.first().waitFor();
    expect(await rows.allInnerTexts()).toEqual(['zh\t0.15\t0.514\t80 / 80 / 48\t90 %\t30 %\t0.998', 'other\t0.23\t0.59\t160 / – / 36\t58 %\t\t0.998']);
    await expect(page.locator('#calibration-none').isHidden()).resolves.toBe(true);
    await page.click('#calibration summary');
    expect(await page.locator('#calibration-curve tbody tr').allInnerTexts()).toEqual(['zh\t0.1\t0 %\t11 %\t81 %', 'zh\t0.15 (chosen)\t0 %\t19 %\t90 %']);
    await page.close();
  });
});
