import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrapAdmin, hasChromium, launchBrowser, openPage, startWebServer, type WebServer } from './browser.js';

const XSS = '<img src=x onerror=window.__xss=1>';

/** What an agent does first: POST /oauth/device_authorization over real HTTP. */
async function registerDevice(server: WebServer, fields: Record<string, string>) {
  const res = await fetch(`${server.url}/oauth/device_authorization`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: 'browser-test', ...fields }).toString(),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { user_code: string; verification_uri_complete: string };
}

describe.skipIf(!hasChromium)('linking a device through the /link pages in the browser', { timeout: 60_000 }, () => {
  let server: WebServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    [server, browser] = await Promise.all([startWebServer(), launchBrowser()]);
    ({ context, page, errors } = await openPage(browser));
    await bootstrapAdmin(server, page);
  });
  afterAll(async () => {
    await context.close();
    await browser.close();
    await server.close();
  });

  it('approves a device registered by an agent and shows it on the dashboard', async () => {
    const grant = await registerDevice(server, { device_name: 'Build box', server_id: 'srv-build-01' });
    await page.goto(`${server.url}/link`);
    await page.getByLabel('Code').fill(grant.user_code.toLowerCase().replace('-', ''));
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect(page.getByRole('heading', { name: 'Link this device to your account?' }).isVisible()).resolves.toBe(
      true,
    );
    await expect(page.locator('table.details').textContent()).resolves.toContain('srv-build-01');
    await page.getByRole('button', { name: 'Approve' }).click();
    await expect(page.getByRole('status').textContent()).resolves.toContain('Build box is linked as srv-build-01');

    await page.getByRole('link', { name: 'Go to the dashboard' }).click();
    const row = page.locator('tbody tr', { hasText: 'srv-build-01' });
    await expect(row.textContent()).resolves.toContain('Build box');
    expect(errors).toEqual([]);
  });

  it('opens the verification_uri_complete link with the code filled in', async () => {
    const grant = await registerDevice(server, { device_name: 'Prefilled', server_id: 'srv-prefilled' });
    await page.goto(grant.verification_uri_complete.replace(/^https?:\/\/[^/]+/, server.url));
    await expect(page.getByLabel('Code').inputValue()).resolves.toBe(grant.user_code);
  });

  it('denies a device, which then does not appear on the dashboard', async () => {
    const grant = await registerDevice(server, { device_name: 'Unknown box', server_id: 'srv-denied' });
    await page.goto(`${server.url}/link?user_code=${grant.user_code}`);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Deny' }).click();
    await expect(page.getByRole('heading', { name: 'Device denied' }).isVisible()).resolves.toBe(true);
    await page.goto(`${server.url}/dashboard`);
    await expect(page.locator('body').textContent()).resolves.not.toContain('srv-denied');
  });

  it('renders a device name carrying markup as text on the approval page and the dashboard', async () => {
    const grant = await registerDevice(server, { device_name: XSS, server_id: 'srv-xss' });
    await page.goto(`${server.url}/link`);
    await page.getByLabel('Code').fill(grant.user_code);
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect(page.locator('table.details').textContent()).resolves.toContain(XSS);
    await page.getByRole('button', { name: 'Approve' }).click();
    await expect(page.getByRole('status').textContent()).resolves.toContain(XSS);

    await page.goto(`${server.url}/dashboard`);
    await expect(page.getByText(XSS).first().isVisible()).resolves.toBe(true);
    await expect(page.locator('main img').count()).resolves.toBe(0);
    await expect(page.evaluate(() => (globalThis as { __xss?: number }).__xss)).resolves.toBeUndefined();
  });
});
