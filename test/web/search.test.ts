import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { signIn, type Person } from '../harness/identity.js';
import { createRoom, createRoomAgent, postMessage, type WireRoom } from '../harness/rooms.js';
import { hasChromium, type WebServer } from './browser.js';
import { useBrowserSession } from './session.js';

const HOSTILE = 'incident <img src=x onerror=window.__xss=1><script>window.__xss=2</script> "><b>bold</b>';

describe.skipIf(!hasChromium)('searching from the browser', { timeout: 90_000 }, () => {
  const session = useBrowserSession();
  let server: WebServer;
  let page: Page;
  let admin: Person;
  let room: WireRoom;

  beforeAll(async () => {
    ({ server, page } = session);
    admin = await signIn(server, session.admin);
    room = await createRoom(server, admin, { name: 'Ops channel' });
    const agent = await createRoomAgent(server, admin, { rooms: [room.id], name: 'deploy-bot' });
    for (const body of ['the nightly backup failed twice', 'backup restored, all good', HOSTILE])
      expect((await postMessage(server, agent, room.id, body)).statusCode).toBe(201);
  });

  it('searches from the box in the header and shows ranked results with the matched words marked', async () => {
    await page.goto(`${server.url}/rooms`);
    const box = page.getByRole('searchbox', { name: 'Search messages' });
    await box.fill('backup failed');
    await Promise.all([page.waitForURL('**/search?q=backup+failed'), box.press('Enter')]);
    const items = page.locator('#results li');
    await expect(items.count()).resolves.toBe(1);
    await expect(items.first().locator('.snippet').textContent()).resolves.toBe('the nightly backup failed twice');
    await expect(items.first().locator('mark').allTextContents()).resolves.toEqual(['backup', 'failed']);
    await expect(items.first().locator('.meta').textContent()).resolves.toContain('deploy-bot');
    await items.first().getByRole('link', { name: 'Ops channel' }).click();
    await page.waitForURL(`**/rooms/${room.id}`);
    expect(session.errors).toEqual([]);
  });

  it('renders a hostile message body as text: no element, no script run', async () => {
    await page.goto(`${server.url}/search?q=incident`);
    const snippet = page.locator('#results li .snippet');
    await expect(snippet.textContent()).resolves.toBe(HOSTILE);
    await expect(snippet.locator('mark').allTextContents()).resolves.toEqual(['incident']);
    await expect(page.locator('main img, main b, main script').count()).resolves.toBe(0);
    await expect(page.evaluate(() => (globalThis as { __xss?: number }).__xss)).resolves.toBeUndefined();
    await expect(page.getByRole('searchbox', { name: 'Words to find' }).inputValue()).resolves.toBe('incident');
  });

  it('shows why a search was refused beside the box', async () => {
    await page.goto(`${server.url}/search?q=${encodeURIComponent('the of and')}`);
    await expect(page.getByRole('alert').textContent()).resolves.toContain('no word to search for');
    await page.goto(`${server.url}/search?q=backup&cursor=garbage`);
    await expect(page.getByRole('alert').textContent()).resolves.toContain('cursor is invalid');
  });
});

describe.skipIf(!hasChromium)('a search with more matches than it ranks, in the browser', { timeout: 90_000 }, () => {
  const WINDOW = 3;
  const session = useBrowserSession({ config: { SEARCH_RANK_WINDOW: WINDOW } });

  it('says the results are the newest matches only and links to the older ones, which it then searches', async () => {
    const { server, page } = session;
    const admin = await signIn(server, session.admin);
    const room = await createRoom(server, admin, { name: 'Busy room' });
    const agent = await createRoomAgent(server, admin, { rooms: [room.id], name: 'chatty' });
    for (let i = 1; i <= 6; i++)
      expect((await postMessage(server, agent, room.id, `rollout step ${i}`)).statusCode).toBe(201);

    await page.goto(`${server.url}/search?q=rollout`);
    const bodies = () => page.locator('#results li .snippet').allTextContents();
    // The three newest are ranked; the three oldest wait behind the link.
    await expect(bodies().then((b) => b.sort())).resolves.toEqual([
      'rollout step 4',
      'rollout step 5',
      'rollout step 6',
    ]);
    await expect(page.locator('#ranked-since').textContent()).resolves.toContain('newest matches only');
    await Promise.all([page.waitForURL(/[?&]to=/), page.locator('#older').click()]);
    // Older than the window's oldest message, which may come again: `to` is that message's millisecond plus one.
    const older = await bodies();
    expect(older).toContain('rollout step 3');
    expect(older).not.toContain('rollout step 6');
    await expect(page.locator('#searching-before').textContent()).resolves.toContain('Messages before');
    // The box keeps the bound; its other link searches everything again.
    await expect(page.locator('form.search input[name="to"]').count()).resolves.toBe(1);

    await page.goto(`${server.url}/search?q=rollout&to=not-a-date`);
    await expect(page.getByRole('alert').textContent()).resolves.toContain('to is not a date');
    expect(session.errors.filter((e) => !e.includes('400'))).toEqual([]);
  });
});
