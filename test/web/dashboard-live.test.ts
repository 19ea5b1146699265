import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signIn } from '../harness/identity.js';
import { bootstrapAdmin, hasChromium, launchBrowser, openPage, startWebServer, type WebServer } from './browser.js';

describe.skipIf(!hasChromium)('the dashboard updating without a reload', { timeout: 60_000 }, () => {
  let server: WebServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let headers: Record<string, string>;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startWebServer(), launchBrowser()]);
    ({ context, page } = await openPage(browser));
    const admin = await bootstrapAdmin(server, page);
    headers = (await signIn(server, admin)).headers;
    await page.waitForSelector('body[data-live="connected"]');
  });
  afterAll(async () => {
    await context.close();
    await browser.close();
    await server.close();
  });

  /** Sets a marker on the window: a reload would lose it. */
  async function markPage() {
    await page.evaluate(() => ((globalThis as { __marker?: number }).__marker = 1));
  }
  async function stillSamePage() {
    return page.evaluate(() => (globalThis as { __marker?: number }).__marker);
  }

  async function linkDevice(serverId: string): Promise<string> {
    const grant = await server.app.inject({
      method: 'POST',
      url: '/api/v1/agents/register',
      payload: { device_name: `Box ${serverId}`, device_info: { server_id: serverId } },
    });
    const { user_code, device_code } = grant.json<{ user_code: string; device_code: string }>();
    const approve = await server.app.inject({
      method: 'POST',
      url: '/api/v1/agent-link/approve',
      headers,
      payload: { user_code },
    });
    expect(approve.statusCode).toBe(200);
    return device_code;
  }

  it('adds the row of a device approved through the API while the dashboard is open', async () => {
    await markPage();
    await linkDevice('srv-live-01');
    const row = page.locator('tbody tr', { hasText: 'srv-live-01' });
    await row.waitFor({ timeout: 5000 });
    await expect(row.locator('.badge').textContent()).resolves.toBe('offline');
    await expect(stillSamePage()).resolves.toBe(1);
  });

  it('shows the agent online when it sends metrics, and its status when it is deactivated', async () => {
    await markPage();
    const deviceCode = await linkDevice('srv-live-02');
    const redeemed = await server.app.inject({ url: `/api/v1/agents/status?device_code=${deviceCode}` });
    const { access_token, agent } = redeemed.json<{ access_token: string; agent: { id: string } }>();
    const row = page.locator('tbody tr', { hasText: 'srv-live-02' });
    await row.waitFor({ timeout: 5000 });

    const sent = await server.app.inject({
      method: 'POST',
      url: '/api/v1/metrics',
      headers: { authorization: `Bearer ${access_token}` },
      payload: { server_id: 'srv-live-02', timestamp: Math.floor(Date.now() / 1000), metrics: { cpu: { usage: 3 } } },
    });
    expect(sent.statusCode).toBe(200);
    await page.locator('tbody tr', { hasText: 'srv-live-02' }).locator('.badge.online').waitFor({ timeout: 5000 });
    await expect(row.locator('time').textContent()).resolves.toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);

    const off = await server.app.inject({ method: 'POST', url: `/api/v1/agents/${agent.id}/deactivate`, headers });
    expect(off.statusCode).toBe(200);
    await page.locator('tbody tr', { hasText: 'srv-live-02' }).getByText('inactive').waitFor({ timeout: 5000 });
    await expect(stillSamePage()).resolves.toBe(1);
  });

  it('refuses the event stream to a visitor who is not signed in', async () => {
    const res = await fetch(`${server.url}/events`);
    expect(res.status).toBe(401);
  });
});
