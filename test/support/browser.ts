import { type Browser, chromium, type Page } from 'playwright-core';

/** Debian's Chromium (CHROMIUM_PATH to use another), headless, with nothing that reaches the network by itself. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** /admin in a new page, signed in with the admin key; `errors` collects the page's uncaught errors. */
export async function openAdminPage(browser: Browser, base: string, adminKey: string, viewport = { width: 1280, height: 1100 }): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${base}/admin`);
  await page.fill('#key', adminKey);
  await page.click('#key-form button');
  return { page, errors };
}
