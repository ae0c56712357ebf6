import type { Server } from 'node:http';
import type { Browser } from 'playwright-core';
import { type Config, loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/log.js';
import { buildService, type Service, type ServiceOverrides } from '../../src/service.js';
import { launchChromium } from './browser.js';
import { listenLocal } from './listen.js';
import { configToEnv, realEmbedders } from './real-stack.js';

/** A service listening on a local port and the Chromium that drives its pages (the admin page, the widget). */
export interface BrowserStack {
  service: Service;
  server: Server;
  /** The service's base URL, e.g. `${base}/admin`. */
  base: string;
  browser: Browser;
  /** Closes the browser, the server and the service (not the test's temporary folder). */
  close: () => Promise<void>;
}

/**
 * The service of `config` with the settings in `env` on top (API keys, rate limits...), built with the real models
 * and no LLM unless `overrides` says otherwise, served on 127.0.0.1 and a headless Chromium launched for it: the
 * set-up every admin-page test shares.
 */
export async function startBrowserStack(config: Config, env: Record<string, string> = {}, overrides: ServiceOverrides = {}): Promise<BrowserStack> {
  const service = await buildService(loadConfig({ ...configToEnv(config), ...env }), createLogger('silent'), {
    embedders: await realEmbedders(),
    chatModel: null,
    ...overrides,
  });
  const { server, base } = await listenLocal(service.app);
  const browser = await launchChromium();
  return {
    service,
    server,
    base,
    browser,
    close: async () => {
      await browser.close();
      server.close();
      await service.close();
    },
  };
}
