import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { claimOverRest, releaseOverRest, type WireClaim } from '../harness/claims.js';
import { signIn, type Person } from '../harness/identity.js';
import { createRoom, createRoomAgent, type RoomAgent, type WireRoom } from '../harness/rooms.js';
import { hasChromium, type WebServer } from './browser.js';
import { useBrowserSession } from './session.js';

const HOSTILE = 'file:<img src=x onerror=window.__xss=1>.ts';

describe.skipIf(!hasChromium)("a room's live claims in the browser", { timeout: 90_000 }, () => {
  const session = useBrowserSession();
  let server: WebServer;
  let page: Page;
  let admin: Person;
  let room: WireRoom;
  let agent: RoomAgent;

  beforeAll(async () => {
    ({ server, page } = session);
    admin = await signIn(server, session.admin);
    room = await createRoom(server, admin, { name: 'Claims room' });
    agent = await createRoomAgent(server, admin, { rooms: [room.id], name: 'claim-bot' });
  });

  const claimItem = (resource: string) => page.locator('#claims li', { hasText: resource });

  it('shows a claim as it is taken, with its holder, mode and time left, and drops it on release', async () => {
    await page.goto(`${server.url}/rooms/${room.id}`);
    await page.waitForSelector('body[data-live="connected"]');
    await expect(page.locator('#no-claims').isVisible()).resolves.toBe(true);

    const res = await claimOverRest(server, agent, room.id, { resource: 'task:1234', ttl_seconds: 600, note: 'on it' });
    expect(res.statusCode).toBe(201);
    const claim = res.json<{ claim: WireClaim }>().claim;
    const item = claimItem('task:1234');
    await item.waitFor({ timeout: 5000 });
    const text = await item.textContent();
    expect(text).toContain('claim-bot');
    expect(text).toContain('exclusive');
    expect(text).toContain('on it');
    expect(text).toMatch(/(9|10)m \d\ds left/);
    await expect(page.locator('#no-claims').isVisible()).resolves.toBe(false);

    expect((await releaseOverRest(server, agent, room.id, claim.id)).statusCode).toBe(204);
    await item.waitFor({ state: 'detached', timeout: 5000 });
    await expect(page.locator('#no-claims').isVisible()).resolves.toBe(true);
    expect(session.errors).toEqual([]);
  });

  it('renders a hostile resource name as text, live and after a reload, and drops a claim at its expiry', async () => {
    expect((await claimOverRest(server, agent, room.id, { resource: HOSTILE, ttl_seconds: 2 })).statusCode).toBe(201);
    await page.locator('#claims li code', { hasText: HOSTILE }).waitFor({ timeout: 5000 });
    await page.reload();
    await page.locator('#claims li code', { hasText: HOSTILE }).waitFor();
    await expect(page.locator('main img').count()).resolves.toBe(0);
    await expect(page.evaluate(() => (globalThis as { __xss?: number }).__xss)).resolves.toBeUndefined();
    await claimItem(HOSTILE).waitFor({ state: 'detached', timeout: 8000 });
    expect(session.errors).toEqual([]);
  });
});
