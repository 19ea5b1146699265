import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import type { TestAppOptions } from '../harness/app.js';
import { bootstrapAdmin, launchBrowser, openPage, startWebServer, type WebServer } from './browser.js';

export interface BrowserSession {
  server: WebServer;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  errors: string[];
  /** The first administrator, created through the bootstrap page (the page is signed in as them). */
  admin: { email: string; password: string };
}

/**
 * One server and one browser for a describe block: registers the hooks that
 * start them, create the first admin in the page, and close everything after.
 */
export function useBrowserSession(options: TestAppOptions = {}): BrowserSession {
  const session = {} as BrowserSession;
  beforeAll(async () => {
    [session.server, session.browser] = await Promise.all([startWebServer(options), launchBrowser()]);
    Object.assign(session, await openPage(session.browser));
    session.admin = await bootstrapAdmin(session.server, session.page);
  });
  afterAll(async () => {
    await session.context.close();
    await session.browser.close();
    await session.server.close();
  });
  return session;
}
