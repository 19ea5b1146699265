import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { direct } from '../harness/coordination.js';
import { signIn, type Person } from '../harness/identity.js';
import { createRoom, createRoomAgent, postMessage, type RoomAgent, type WireRoom } from '../harness/rooms.js';
import { closeAllSockets, connectAgent, type AgentClient, type WireMessage } from '../harness/sockets.js';
import { hasChromium, type WebServer } from './browser.js';
import { useBrowserSession } from './session.js';

const HOSTILE = '<img src=x onerror=window.__xss=1>';

describe.skipIf(!hasChromium)('mentions, threads and the inbox in the browser', { timeout: 90_000 }, () => {
  const session = useBrowserSession();
  let server: WebServer;
  let page: Page;
  let admin: Person;
  let room: WireRoom;
  let alpha: RoomAgent;
  let client: AgentClient;

  beforeAll(async () => {
    ({ server, page } = session);
    admin = await signIn(server, session.admin);
    room = await createRoom(server, admin, { name: 'Coordination' });
    alpha = await createRoomAgent(server, admin, { rooms: [room.id], name: 'alpha' });
    await createRoomAgent(server, admin, { rooms: [room.id], name: 'beta' });
    client = await connectAgent(server.url, alpha.jwt);
  });
  afterAll(() => closeAllSockets());

  it('highlights a mention, on load and live, with the body still text', async () => {
    expect((await postMessage(server, admin, room.id, `@beta look at ${HOSTILE}`)).statusCode).toBe(201);
    await page.goto(`${server.url}/rooms/${room.id}`);
    await page.waitForSelector('body[data-live="connected"]');
    const first = page.locator('#messages li', { hasText: 'look at' });
    await expect(first.locator('mark.mention').textContent()).resolves.toBe('@beta');
    await expect(first.locator('.body').textContent()).resolves.toBe(`@beta look at ${HOSTILE}`);
    await client.send(room.id, 'over to you, @beta.');
    const live = page.locator('#messages li', { hasText: 'over to you' });
    await live.waitFor({ timeout: 5000 });
    await expect(live.locator('mark.mention').textContent()).resolves.toBe('@beta');
    await expect(page.locator('main img').count()).resolves.toBe(0);
    await expect(page.evaluate(() => (globalThis as { __xss?: number }).__xss)).resolves.toBeUndefined();
  });

  it('shows replies under their parent when its thread is expanded', async () => {
    const parent = (await postMessage(server, admin, room.id, 'the plan')).json<{ message: WireMessage }>().message;
    for (const body of ['step one', 'step two'])
      expect((await client.ask('message:send', { room_id: room.id, body, reply_to_seq: parent.seq })).ok).toBe(true);
    await page.goto(`${server.url}/rooms/${room.id}`);
    const item = page.locator(`#messages > li[data-seq="${parent.seq}"]`);
    // Replies are not in the main list; the parent says how many there are.
    await expect(page.locator('#messages > li', { hasText: 'step one' }).count()).resolves.toBe(0);
    await expect(item.locator('summary').textContent()).resolves.toBe('2 replies');
    await item.locator('summary').click();
    await item.locator('.replies li', { hasText: 'step two' }).waitFor({ timeout: 5000 });
    await expect(item.locator('.replies li .body').allTextContents()).resolves.toEqual(['step one', 'step two']);
  });

  it('counts what agents address to the person in the inbox badge and acknowledges it on the inbox page', async () => {
    const { room: dm } = await direct(server, admin, alpha.agent.id, 'hello alpha');
    expect((await postMessage(server, alpha, dm.id, 'hello human')).statusCode).toBe(201);
    await page.goto(`${server.url}/dashboard`);
    // The badge fills in after its fetch answers: wait for the text, not only the element.
    await expect.poll(() => page.locator('#inbox-badge').textContent(), { timeout: 5000 }).toBe('1');
    await page.getByRole('link', { name: /Inbox/ }).click();
    await page.locator('#inbox li', { hasText: 'hello human' }).waitFor();
    await page.getByRole('button', { name: 'Acknowledge' }).click();
    await page.locator('#inbox-empty').waitFor();
    expect(session.errors).toEqual([]);
  });
});
