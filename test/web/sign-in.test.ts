import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrapAdmin, hasChromium, launchBrowser, openPage, startWebServer, type WebServer } from './browser.js';

describe.skipIf(!hasChromium)('signing in and out in the browser', { timeout: 60_000 }, () => {
  let server: WebServer;
  let browser: Browser;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startWebServer(), launchBrowser()]);
  });
  afterAll(async () => {
    await browser.close();
    await server.close();
  });

  it('creates the first administrator from the bootstrap link and lands on the dashboard', async () => {
    const { context, page, errors } = await openPage(browser);
    await bootstrapAdmin(server, page, { name: 'Ada Admin' });
    await expect(page.getByRole('heading', { name: 'Agents' }).isVisible()).resolves.toBe(true);
    await expect(page.getByRole('button', { name: 'Sign out Ada Admin' }).isVisible()).resolves.toBe(true);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('signs in with the password, then signs out, after which the dashboard sends the visitor to sign in', async () => {
    const { context, page } = await openPage(browser);
    await page.goto(`${server.url}/login`);
    await page.getByLabel('Email').fill('ada@example.com');
    await page.getByLabel('Password').fill('correct horse battery staple');
    await Promise.all([page.waitForURL('**/dashboard'), page.getByRole('button', { name: 'Sign in' }).click()]);

    await Promise.all([page.waitForURL('**/login'), page.getByRole('button', { name: /Sign out/ }).click()]);
    await page.goto(`${server.url}/dashboard`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await context.close();
  });

  it('shows the reason on the sign-in page when the password is wrong', async () => {
    const { context, page } = await openPage(browser);
    await page.goto(`${server.url}/login`);
    await page.getByLabel('Email').fill('ada@example.com');
    await page.getByLabel('Password').fill('not the password at all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/invalid|incorrect/i);
    await context.close();
  });
});
