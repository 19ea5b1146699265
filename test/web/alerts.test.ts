import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signIn } from '../harness/identity.js';
import { createIngestingAgent, nowSeconds } from '../harness/metrics.js';
import { postCpu, startReceiver, verifySignature } from '../harness/alerts.js';
import { bootstrapAdmin, hasChromium, launchBrowser, openPage, startWebServer, type WebServer } from './browser.js';

describe.skipIf(!hasChromium)('alerting in the browser', { timeout: 90_000 }, () => {
  let server: WebServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    receiver = await startReceiver();
    [server, browser] = await Promise.all([
      startWebServer({ config: { ALERT_WEBHOOK_ALLOW_PRIVATE: true } }),
      launchBrowser(),
    ]);
    ({ context, page, errors } = await openPage(browser));
  });
  afterAll(async () => {
    await context.close();
    await browser.close();
    await server.close();
    await receiver.close();
  });

  it('creates a channel and a rule, sees the alert fire on the dashboard, and acknowledges it', async () => {
    const admin = await bootstrapAdmin(server, page);
    const agent = await createIngestingAgent(server, await signIn(server, admin));

    // A webhook channel: its generated secret is shown once.
    await page.goto(`${server.url}/alerts`);
    await page.fill('#channel-name', 'ops webhook');
    await page.selectOption('#channel-kind', 'webhook');
    await page.fill('#channel-url', receiver.url);
    await page.click('#new-channel button[type=submit]');
    const secret = (await page.textContent('#issued-secret')) ?? '';
    expect(secret).toMatch(/^whsec_/);

    // A rule on that agent: CPU above 90, at once.
    await page.fill('#rule-name', 'cpu high');
    await page.selectOption('#rule-kind', 'metric_threshold');
    await page.selectOption('#rule-agent', agent.agent.id);
    await page.fill('#rule-path', 'cpu.usage');
    await page.selectOption('#rule-op', '>');
    await page.fill('#rule-threshold', '90');
    await page.fill('#rule-for', '0');
    await page.selectOption('#rule-severity', 'critical');
    await page.check('#new-rule input[name=channel_ids]');
    await page.click('#new-rule button[type=submit]');
    await page.locator('#rules tr', { hasText: 'cpu high' }).waitFor();

    // The dashboard is open when the agent crosses the line: the badge appears without a reload.
    await page.goto(`${server.url}/dashboard`);
    await page.waitForSelector('body[data-live="connected"]');
    await postCpu(server, agent, nowSeconds(), [[0, 97]]);
    await server.ctx.services.alerting.evaluation.evaluateAll();
    const badge = page.locator(`tr[data-agent-id="${agent.agent.id}"] .alert-count`);
    await badge.waitFor({ timeout: 10_000 });
    expect(await badge.textContent()).toBe('1 firing');

    // The receiver got the signed notification.
    await server.ctx.services.alerting.delivery.tick();
    expect(receiver.received).toHaveLength(1);
    expect(
      verifySignature(secret, receiver.received[0]?.raw ?? '', receiver.received[0]?.headers['x-agenthub-signature']),
    ).toBe(true);

    // Acknowledge it from the alerts page; the agent page shows the history.
    await badge.click();
    await page.locator('#alerts tr', { hasText: 'cpu high' }).getByRole('button', { name: 'Acknowledge' }).click();
    await page.locator('#alerts tr', { hasText: 'acknowledged' }).waitFor();
    await page.goto(`${server.url}/agents/${agent.agent.id}`);
    await expect(page.locator('#alert-history').textContent()).resolves.toContain('ok → firing');
    expect(errors).toEqual([]);
  });

  it('shows a refused field on the page and stores nothing', async () => {
    await page.goto(`${server.url}/alerts`);
    await page.fill('#rule-name', 'bad path');
    await page.fill('#rule-path', "cpu'; drop table agents; --");
    await page.fill('#rule-threshold', '90');
    await page.check('#new-rule input[name=channel_ids]');
    await page.click('#new-rule button[type=submit]');
    await expect(page.locator('p.alert[role=alert]').textContent()).resolves.toContain('path');
    expect(await page.locator('#rules tr', { hasText: 'bad path' }).count()).toBe(0);
  });
});
