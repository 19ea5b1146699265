import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, signIn, type Person } from '../harness/identity.js';
import { hasChromium, type WebServer } from './browser.js';
import { useBrowserSession } from './session.js';

const XSS = '<img src=x onerror=window.__xss=1>';

interface LinkedAgent {
  id: string;
  jwt: string;
}

describe.skipIf(!hasChromium)('an agent from approval to its own page, in the browser', { timeout: 90_000 }, () => {
  const session = useBrowserSession();
  let server: WebServer;
  let dashboard: Page;
  let page: Page;
  let admin: Person;

  beforeAll(async () => {
    ({ server, page: dashboard } = session);
    admin = await signIn(server, session.admin);
    await dashboard.waitForSelector('body[data-live="connected"]');
    page = await session.context.newPage();
  });

  /** What an agent does first: POST /api/v1/agents/register over real HTTP. */
  async function register(name: string, serverId: string) {
    const res = await fetch(`${server.url}/api/v1/agents/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ device_name: name, device_info: { server_id: serverId, hostname: `${serverId}.lan` } }),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as { user_code: string; device_code: string };
  }

  /** Approves the code on /link in the second tab, then collects the agent's JWT as the agent would. */
  async function approveThroughPages(name: string, serverId: string): Promise<LinkedAgent> {
    const grant = await register(name, serverId);
    await page.goto(`${server.url}/link?user_code=${grant.user_code}`);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByRole('status').waitFor();
    const res = await fetch(`${server.url}/api/v1/agents/status?device_code=${grant.device_code}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { access_token: string; agent: { id: string } };
    return { id: body.agent.id, jwt: body.access_token };
  }

  async function sendCpu(agent: LinkedAgent, serverId: string, secondsAgo: number, usage: number) {
    const res = await fetch(`${server.url}/api/v1/metrics`, {
      method: 'POST',
      headers: { ...bearer(agent.jwt), 'content-type': 'application/json' },
      body: JSON.stringify({
        server_id: serverId,
        timestamp: Math.floor(Date.now() / 1000) - secondsAgo,
        metrics: { cpu: { usage }, memory: { usage: 40 + usage } },
      }),
    });
    expect(res.status).toBe(200);
  }

  let linked: LinkedAgent;

  it('shows a device approved on /link in another tab on the open dashboard, without a reload', async () => {
    await dashboard.evaluate(() => ((globalThis as { __marker?: number }).__marker = 1));
    linked = await approveThroughPages('Web box', 'srv-web-01');
    const row = dashboard.locator('#agents tbody tr', { hasText: 'srv-web-01' });
    await row.waitFor({ timeout: 5000 });
    await expect(row.locator('a').textContent()).resolves.toBe('Web box');
    await expect(dashboard.evaluate(() => (globalThis as { __marker?: number }).__marker)).resolves.toBe(1);
  });

  it("draws the agent's metrics from the series endpoint as chart points", async () => {
    for (const [i, usage] of [12, 30, 18, 55, 25].entries()) await sendCpu(linked, 'srv-web-01', 240 - i * 60, usage);
    await page.goto(`${server.url}/agents/${linked.id}`);
    const cpu = page.locator('figure[data-paths="cpu.usage"]');
    await cpu.locator('.uplot canvas').waitFor({ timeout: 10_000 });
    await expect(cpu.getAttribute('data-points')).resolves.toBe('5');
    await expect(page.locator('figure[data-paths="memory.usage"]').getAttribute('data-points')).resolves.toBe('5');
    // The chart scripts came from this server (no CDN) and ran without errors.
    const uplot = await fetch(`${server.url}/static/vendor/uplot/uPlot.iife.min.js`);
    expect(uplot.status).toBe(200);
    expect(session.errors).toEqual([]);
  });

  it('issues an API token shown once, then revokes it, after which the token no longer signs in', async () => {
    await page.goto(`${server.url}/agents/${linked.id}`);
    await page.getByRole('button', { name: 'Issue an API token' }).click();
    const token = await page.getByLabel('Token').inputValue();
    expect(token).toMatch(/^agt_/);
    const exchange = () => fetch(`${server.url}/api/v1/sessions`, { method: 'POST', headers: bearer(token) });
    await expect(exchange().then((r) => r.status)).resolves.toBe(200);

    const prefix = token.slice(0, 12);
    const row = page.locator(`#tokens tr[data-prefix^="${prefix.slice(0, 8)}"]`).filter({ hasText: 'active' });
    await row.first().waitFor();
    await row
      .first()
      .getByRole('button', { name: /^Revoke/ })
      .click();
    await page.waitForURL(`**/agents/${linked.id}`);
    await expect(page.getByLabel('Token').count()).resolves.toBe(0);
    await expect(page.locator('#tokens').textContent()).resolves.toContain('revoked');
    await expect(exchange().then((r) => r.status)).resolves.toBe(401);
  });

  it('shows Telegraf, Collector and remote_write snippets carrying a fresh token once, and the Telegraf one works', async () => {
    await page.goto(`${server.url}/agents/${linked.id}`);
    await expect(page.locator('#snippet-telegraf').textContent()).resolves.toContain('issue one above');
    await page.getByRole('button', { name: 'Issue an API token' }).click();
    const token = await page.getByLabel('Token').inputValue();
    const telegraf = (await page.locator('#snippet-telegraf').textContent()) ?? '';
    for (const id of ['#snippet-telegraf', '#snippet-otel', '#snippet-prometheus'])
      await expect(page.locator(id).textContent()).resolves.toContain(token);
    await expect(page.locator('#snippet-otel').textContent()).resolves.toContain(`endpoint: ${server.url}`);
    await expect(page.locator('#snippet-prometheus').textContent()).resolves.toContain(
      `${server.url}/api/v1/prom/write`,
    );
    expect(telegraf).toContain('hostname = "srv-web-01"');

    // What Telegraf does with that configuration: its urls, token and hostname, line protocol to /api/v2/write.
    const url = /urls = \["([^"]+)"\]/.exec(telegraf)?.[1];
    const configured = /token = "([^"]+)"/.exec(telegraf)?.[1];
    const res = await fetch(`${url}/api/v2/write?org=agenthub&bucket=srv-web-01&precision=s`, {
      method: 'POST',
      headers: { authorization: `Token ${configured}`, 'content-type': 'text/plain; charset=utf-8' },
      body: `mem,host=srv-web-01 used_percent=33 ${Math.floor(Date.now() / 1000)}`,
    });
    expect(res.status, await res.text()).toBe(204);

    await page.goto(`${server.url}/agents/${linked.id}`);
    await expect(page.locator('main').textContent()).resolves.not.toContain(token);
  });

  it('renders a device name carrying markup as text on the live dashboard and the agent page', async () => {
    await dashboard.bringToFront();
    const xss = await approveThroughPages(XSS, 'srv-web-xss');
    await dashboard.locator('#agents tbody tr', { hasText: 'srv-web-xss' }).waitFor({ timeout: 5000 });
    await expect(dashboard.getByRole('link', { name: XSS }).isVisible()).resolves.toBe(true);
    await page.goto(`${server.url}/agents/${xss.id}`);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(XSS);
    for (const p of [dashboard, page]) {
      await expect(p.locator('main img').count()).resolves.toBe(0);
      await expect(p.evaluate(() => (globalThis as { __xss?: number }).__xss)).resolves.toBeUndefined();
    }
  });

  it('answers an agent of someone else with a 404 page', async () => {
    const res = await fetch(`${server.url}/agents/00000000-0000-4000-8000-000000000000`, {
      headers: { cookie: admin.headers.cookie },
    });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-security-policy')).toBeTruthy();
    await expect(res.text()).resolves.toContain('Not found');
  });
});
