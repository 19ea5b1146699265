import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startTestServer, type TestApp, type TestAppOptions } from '../harness/app.js';
import { freePort } from '../harness/cli.js';

/** Debian's chromium (CI installs it with apt); playwright never downloads a browser here. */
export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);
export const noChromiumReason = `browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`;

if (!hasChromium) console.warn(noChromiumReason);

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

export type WebServer = TestApp & { url: string };

/**
 * A listening app whose PUBLIC_URL is the address it listens on, so the
 * browser's Origin passes the same-origin checks of form posts.
 */
export async function startWebServer(options: TestAppOptions = {}): Promise<WebServer> {
  // The port is chosen before the app is built (PUBLIC_URL needs it); another process may take it in between.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    try {
      const server = await startTestServer({ ...options, port, config: { publicUrl, ...options.config } });
      return { ...server, url: publicUrl };
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'EADDRINUSE' || attempt >= 5) throw error;
    }
  }
}

/** A fresh browser profile (its own cookies) with the page's errors collected. */
export async function openPage(browser: Browser): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  return { context, page, errors };
}

/** First run in the browser: open the bootstrap link, fill the form, land on /dashboard. */
export async function bootstrapAdmin(
  server: WebServer,
  page: Page,
  input: { name?: string; email?: string; password?: string } = {},
): Promise<{ email: string; password: string }> {
  const link = await server.ctx.services.magicLinks.issueBootstrapLink();
  if (!link) throw new Error('bootstrapAdmin needs a database without users');
  const email = input.email ?? 'ada@example.com';
  const password = input.password ?? 'correct horse battery staple';
  await page.goto(server.url + new URL(link.url).pathname);
  await page.getByLabel('Your name').fill(input.name ?? 'Ada Admin');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel(/^Password/).fill(password);
  await Promise.all([
    page.waitForURL('**/dashboard'),
    page.getByRole('button', { name: 'Create administrator' }).click(),
  ]);
  return { email, password };
}
