import type { Browser } from 'playwright-core';
import { hashKey } from '../../src/http/access.js';
import type { Service } from '../../src/service.js';
import { startBrowserStack } from './browser-stack.js';
import { ingestSampleKnowledgeCopy, tempDir } from './real-stack.js';

export interface AdminPageStack {
  service: Service;
  base: string;
  browser: Browser;
  adminKey: string;
  widgetKey: string;
  close: () => Promise<void>;
}

/**
 * What a browser test of /admin stands on: the sample knowledge base copied and ingested (the service writes into
 * its folder: uploads, FAQ entries), the real models, an admin and a widget key, the service on a local port, and
 * Chromium. `name` keeps the temporary folder and keys apart from other files'. `settings` are the ingestion's and
 * the service's; `serviceSettings` the service's alone (e.g. REGRESSION_GATE=false for the jobs it runs), so the
 * first ingestion stays the one other files make and comes from the run's table cache.
 */
export async function startAdminPageStack(name: string, settings: Record<string, string> = {}, serviceSettings: Record<string, string> = {}): Promise<AdminPageStack> {
  const temp = await tempDir(name);
  const adminKey = `kefu_admin_${name.replace(/\W/g, '')}_0123456789abcdefghij`;
  const widgetKey = `kefu_pub_${name.replace(/\W/g, '')}_0123456789abcdefghijk`;
  const config = await ingestSampleKnowledgeCopy(temp.dir, { ANSWER_CACHE: 'false', ...settings });
  const keys = JSON.stringify([
    { id: 'operator', sha256: hashKey(adminKey), scopes: ['admin'], origins: [] },
    { id: 'site', sha256: hashKey(widgetKey), scopes: ['widget'], origins: [] },
  ]);
  const stack = await startBrowserStack(config, { API_KEYS: keys, ...serviceSettings }).catch(async (error) => {
    await temp.remove();
    throw error;
  });
  return {
    service: stack.service,
    base: stack.base,
    browser: stack.browser,
    adminKey,
    widgetKey,
    close: async () => {
      await stack.close();
      await temp.remove();
    },
  };
}
