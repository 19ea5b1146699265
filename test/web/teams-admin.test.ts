import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD } from '../harness/identity.js';
import { hasChromium, openPage } from './browser.js';
import { useBrowserSession } from './session.js';

describe.skipIf(!hasChromium)('the teams and admin pages in the browser', { timeout: 90_000 }, () => {
  const session = useBrowserSession();
  let page: Page;
  beforeAll(() => {
    page = session.page;
  });

  it('creates a user, moves them to the pro plan, and finds the change in the audit log filtered by type', async () => {
    await page.getByRole('link', { name: 'Admin' }).click();
    await page.getByLabel('Email').fill('bob@example.com');
    await page.getByLabel('Name').fill('Bob <b>Builder</b>');
    await page.getByLabel(/^Password/).fill(PASSWORD);
    await page.getByRole('button', { name: 'Create user' }).click();
    const row = page.locator('#users tr', { hasText: 'bob@example.com' });
    await expect(row.locator('td').first().textContent()).resolves.toBe('Bob <b>Builder</b>');

    await page.getByLabel('Plan of bob@example.com').selectOption('pro');
    await page.getByRole('button', { name: 'Save bob@example.com' }).click();
    await expect(page.getByLabel('Plan of bob@example.com').inputValue()).resolves.toBe('pro');
    await expect(page.locator('#plans tr', { hasText: 'pro' }).locator('td').nth(2).textContent()).resolves.toBe('1');

    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByLabel('Event type').fill('user.updated');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL('**/admin/audit?type=user.updated**');
    const types = await page.locator('#audit tbody td:nth-child(2)').allTextContents();
    expect(types.length).toBeGreaterThan(0);
    expect(new Set(types)).toEqual(new Set(['user.updated']));
    expect(session.errors).toEqual([]);
  });

  it('creates a team and adds the user, who then sees it while the admin pages stay hidden from them', async () => {
    await page.goto(`${session.server.url}/teams`);
    await page.getByLabel('Team name').fill('Platform');
    await page.getByRole('button', { name: 'Create team' }).click();
    await page.getByRole('heading', { name: 'Platform' }).waitFor();
    await page.getByLabel('Email').fill('bob@example.com');
    await page.getByLabel('Role').selectOption('viewer');
    await page.getByRole('button', { name: 'Save member' }).click();
    await expect(page.locator('#members tr', { hasText: 'bob@example.com' }).textContent()).resolves.toContain(
      'viewer',
    );
    const teamUrl = page.url();

    const bob = await openPage(session.browser);
    try {
      await bob.page.goto(`${session.server.url}/login`);
      await bob.page.getByLabel('Email').fill('bob@example.com');
      await bob.page.getByLabel('Password').fill(PASSWORD);
      await Promise.all([
        bob.page.waitForURL('**/dashboard'),
        bob.page.getByRole('button', { name: /Sign in/ }).click(),
      ]);
      await expect(bob.page.getByRole('link', { name: 'Admin' }).count()).resolves.toBe(0);
      await bob.page.goto(teamUrl);
      await expect(bob.page.getByRole('heading', { name: 'Platform' }).isVisible()).resolves.toBe(true);
      // A viewer gets no member form, only a way to leave.
      await expect(bob.page.getByRole('button', { name: 'Save member' }).count()).resolves.toBe(0);
      const admin = await bob.page.goto(`${session.server.url}/admin`);
      expect(admin?.status()).toBe(404);
      const audit = await bob.page.goto(`${session.server.url}/admin/audit`);
      expect(audit?.status()).toBe(404);
    } finally {
      await bob.context.close();
    }
  });

  it('lists every team for an admin, a team they are not in included, and hides the list from others', async () => {
    const bob = await openPage(session.browser);
    try {
      await bob.page.goto(`${session.server.url}/login`);
      await bob.page.getByLabel('Email').fill('bob@example.com');
      await bob.page.getByLabel('Password').fill(PASSWORD);
      await Promise.all([
        bob.page.waitForURL('**/dashboard'),
        bob.page.getByRole('button', { name: /Sign in/ }).click(),
      ]);
      await bob.page.goto(`${session.server.url}/teams`);
      await bob.page.getByLabel('Team name').fill("Bob's <i>crew</i>");
      await bob.page.getByRole('button', { name: 'Create team' }).click();
      await bob.page.getByRole('heading', { name: "Bob's <i>crew</i>" }).waitFor();
      const list = await bob.page.goto(`${session.server.url}/admin/teams`);
      expect(list?.status()).toBe(404);
    } finally {
      await bob.context.close();
    }

    await page.goto(`${session.server.url}/admin`);
    await page.getByRole('link', { name: 'All teams' }).click();
    await page.waitForURL('**/admin/teams');
    const crew = page.locator('#all-teams tr', { hasText: 'crew' });
    await expect(crew.locator('td').first().textContent()).resolves.toBe("Bob's <i>crew</i>");
    await expect(crew.locator('td').nth(1).textContent()).resolves.toBe('bob@example.com');
    await expect(crew.locator('td').nth(2).textContent()).resolves.toBe('1');
    const platform = page.locator('#all-teams tr', { hasText: 'Platform' });
    await expect(platform.locator('td').nth(2).textContent()).resolves.toBe('2');
    await crew.getByRole('link').click();
    await page.getByRole('heading', { name: "Bob's <i>crew</i>" }).waitFor();
    expect(session.errors).toEqual([]);
  });
});
