import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser, PASSWORD, signIn, type Person } from '../harness/identity.js';
import { createRoom, createRoomAgent, postMessage, type RoomAgent, type WireRoom } from '../harness/rooms.js';
import { closeAllSockets, connectAgent, type AgentClient } from '../harness/sockets.js';
import { hasChromium, type WebServer } from './browser.js';
import { useBrowserSession } from './session.js';

const XSS = '<img src=x onerror=window.__xss=1>';

describe.skipIf(!hasChromium)('a room in the browser', { timeout: 90_000 }, () => {
  const session = useBrowserSession();
  let server: WebServer;
  let page: Page;
  let admin: Person;
  let room: WireRoom;
  let agent: RoomAgent;
  let client: AgentClient;

  beforeAll(async () => {
    ({ server, page } = session);
    admin = await signIn(server, session.admin);
    room = await createRoom(server, admin, { name: 'Ops channel' });
    agent = await createRoomAgent(server, admin, { rooms: [room.id], name: 'deploy-bot' });
    client = await connectAgent(server.url, agent.jwt);
  });
  afterAll(() => closeAllSockets());

  async function openRoom() {
    await page.goto(`${server.url}/rooms`);
    await page.getByRole('link', { name: 'Ops channel' }).click();
    await page.waitForSelector('body[data-live="connected"]');
  }

  it('shows a message an agent sends over socket.io within a second, without a reload', async () => {
    await openRoom();
    await expect(page.locator('details').textContent()).resolves.toContain('deploy-bot');
    const sent = Date.now();
    const ack = await client.send(room.id, 'deploy finished on srv-01');
    expect(ack.ok).toBe(true);
    const item = page.locator('#messages li', { hasText: 'deploy finished on srv-01' });
    await item.waitFor({ timeout: Math.max(1, 1000 - (Date.now() - sent)) });
    await expect(item.locator('strong').textContent()).resolves.toBe('deploy-bot');
    expect(session.errors).toEqual([]);
  });

  it('renders a message carrying markup as text, live and after a reload', async () => {
    await client.send(room.id, XSS);
    await page.locator('#messages li .body', { hasText: XSS }).waitFor({ timeout: 5000 });
    await page.reload();
    await page.locator('#messages li .body', { hasText: XSS }).waitFor();
    await expect(page.locator('main img').count()).resolves.toBe(0);
    await expect(page.evaluate(() => (globalThis as { __xss?: number }).__xss)).resolves.toBeUndefined();
  });

  it('lets the person post as themselves through the form', async () => {
    await openRoom();
    await page.getByLabel('Message (sent as you)').fill('ack from a human');
    await page.getByRole('button', { name: 'Send' }).click();
    const item = page.locator('#messages li', { hasText: 'ack from a human' });
    await item.waitFor();
    await expect(item.locator('strong').textContent()).resolves.toBe('Ada Admin (you)');
    await expect.poll(() => client.received.some((m) => m.body === 'ack from a human')).toBe(true);
  });

  it('scrolls back through older messages from the history endpoint', async () => {
    for (let i = 1; i <= 55; i += 1) {
      const res = await postMessage(server, agent, room.id, `backlog ${i}`);
      expect(res.statusCode).toBe(201);
    }
    await openRoom();
    await expect(page.locator('#messages li').count()).resolves.toBe(50);
    await page.getByRole('link', { name: 'Older messages' }).click();
    await page.locator('#messages li', { hasText: 'deploy finished on srv-01' }).waitFor();
    await expect(page.locator('#messages li').count()).resolves.toBe(58);
    await expect(page.locator('#messages li').first().textContent()).resolves.toContain('deploy finished');
    await expect(page.getByRole('link', { name: 'Older messages' }).count()).resolves.toBe(0);
  });

  it('pages back without JavaScript through ?before=', async () => {
    const res = await fetch(`${server.url}/rooms/${room.id}?before=10`, { headers: { cookie: admin.headers.cookie } });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('backlog 6');
    expect(text).not.toContain('backlog 7<');
    expect(text).toContain('Newest messages');
  });

  it('replays what a reconnecting stream missed, from Last-Event-ID or ?after_seq', async () => {
    const read = async (query: string, headers: Record<string, string> = {}) => {
      const res = await fetch(`${server.url}/rooms/${room.id}/stream?once=1${query}`, {
        headers: { cookie: admin.headers.cookie, ...headers },
      });
      expect(res.headers.get('content-type')).toContain('text/event-stream');
      return [...(await res.text()).matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    };
    await expect(read('', { 'last-event-id': '55' })).resolves.toEqual([56, 57, 58]);
    await expect(read('&after_seq=57')).resolves.toEqual([58]);
    await expect(read('')).resolves.toEqual([]);
  });

  it('answers another person with a 404 page and refuses them the stream', async () => {
    const outsider = await addUser(server, admin);
    const other = await signIn(server, { email: outsider.email, password: PASSWORD });
    for (const url of [`/rooms/${room.id}`, `/rooms/${room.id}/stream?once=1`]) {
      const res = await fetch(server.url + url, { headers: { cookie: other.headers.cookie } });
      expect(res.status).toBe(404);
    }
    const list = await fetch(`${server.url}/rooms`, { headers: { cookie: other.headers.cookie } });
    await expect(list.text()).resolves.not.toContain('Ops channel');
  });
});
