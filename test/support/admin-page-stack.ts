import path from 'node:path';
import type { Browser } from 'playwright-core';
import { loadConfig } from '../../src/config/config.js';
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

/**
 * The settings of an /admin browser test over a small knowledge folder of its own (`knowledge` under `dir`): no
 * calibration, no multilingual model (the models of realEmbedders(), so jobs' children embed into the same columns),
 * one admin key; `settings` add to them.
 */
export function smallKnowledgeAdminConfig(dir: string, adminKey: string, settings: Record<string, string> = {}) {
  const knowledge = path.join(dir, 'knowledge');
  return loadConfig({
    KNOWLEDGE_DIR: knowledge,
    PRODUCT_LINES_FILE: path.join(knowledge, 'product-lines.yaml'),
    DB_DIR: path.join(dir, 'db'),
    STATE_LOG_DIR: path.join(dir, 'logs'),
    CALIBRATION_ENABLED: 'false',
    LOG_LEVEL: 'silent',
    LANCEDB_READ_CONSISTENCY_SECONDS: '0',
    EMBEDDING_MODEL_MULTI: 'none',
    API_KEYS: JSON.stringify([{ id: 'ops', sha256: hashKey(adminKey), scopes: ['admin'], origins: [] }]),
    ...settings,
  });
}
