import type { Server } from 'node:http';
import type { Browser } from 'playwright-core';
import { loadConfig } from '../../src/config/config.js';
import { hashKey } from '../../src/http/access.js';
import { createLogger } from '../../src/log.js';
import { buildService, type Service } from '../../src/service.js';
import { launchChromium } from './browser.js';
import { listenLocal } from './listen.js';
import { configToEnv, ingestSampleKnowledgeCopy, realEmbedders, tempDir } from './real-stack.js';

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
 * Chromium. `name` keeps the temporary folder and keys apart from other files'.
 */
export async function startAdminPageStack(name: string, settings: Record<string, string> = {}): Promise<AdminPageStack> {
  const temp = await tempDir(name);
  const adminKey = `kefu_admin_${name.replace(/\W/g, '')}_0123456789abcdefghij`;
  const widgetKey = `kefu_pub_${name.replace(/\W/g, '')}_0123456789abcdefghijk`;
  const config = await ingestSampleKnowledgeCopy(temp.dir, { ANSWER_CACHE: 'false', ...settings });
  const keys = JSON.stringify([
    { id: 'operator', sha256: hashKey(adminKey), scopes: ['admin'], origins: [] },
    { id: 'site', sha256: hashKey(widgetKey), scopes: ['widget'], origins: [] },
  ]);
  const service = await buildService(loadConfig({ ...configToEnv(config), API_KEYS: keys }), createLogger('silent'), { embedders: await realEmbedders(), chatModel: null });
  let server: Server | undefined;
  let browser: Browser | undefined;
  let base = '';
  try {
    ({ server, base } = await listenLocal(service.app));
    browser = await launchChromium();
  } catch (error) {
    server?.close();
    await service.close();
    await temp.remove();
    throw error;
  }
  return {
    service,
    base,
    browser,
    adminKey,
    widgetKey,
    close: async () => {
      await browser?.close();
      server?.close();
      await service.close();
      await temp.remove();
    },
  };
}
