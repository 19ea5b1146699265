import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser, formBody, openForm, PASSWORD, signIn, type Person } from '../harness/identity.js';
import {
  createRoom,
  createRoomAgent,
  history,
  postMessage,
  storedSeqs,
  type RoomAgent,
  type WireRoom,
} from '../harness/rooms.js';
import { closeAllSockets, connectAgent, type AgentClient, type WireMessage } from '../harness/sockets.js';
import { hasChromium, type WebServer } from './browser.js';
import { useBrowserSession } from './session.js';

const HOSTILE = '<img src=x onerror=window.__xss=1>';

describe.skipIf(!hasChromium)('replying in a thread from the room page', { timeout: 90_000 }, () => {
  const session = useBrowserSession();
  let server: WebServer;
  let page: Page;
  let admin: Person;
  let room: WireRoom;
  let agent: RoomAgent;
  let client: AgentClient;

  const thread = (parentSeq: number) => history(server, admin, room.id, { thread: parentSeq, limit: 200 });
  const parentItem = (seq: number) => page.locator(`#messages > li[data-seq="${seq}"]`);
  async function parent(body: string, replies: string[] = []): Promise<WireMessage> {
    const message = (await postMessage(server, admin, room.id, body)).json<{ message: WireMessage }>().message;
    for (const reply of replies)
      expect((await client.ask('message:send', { room_id: room.id, body: reply, reply_to_seq: message.seq })).ok).toBe(
        true,
      );
    return message;
  }
  /** POSTs the page's form route as a browser would: the person's cookies, the CSRF field, a same-origin Origin. */
  async function postForm(by: Person, roomId: string, fields: Record<string, string>) {
    const form = await openForm(server, '/rooms', by.headers.cookie);
    const { payload, headers } = formBody({ _csrf: form.csrf, ...fields });
    return server.app.inject({
      method: 'POST',
      url: `/rooms/${roomId}/messages`,
      headers: { ...headers, cookie: form.cookie, origin: server.url },
      payload,
    });
  }

  beforeAll(async () => {
    ({ server, page } = session);
    admin = await signIn(server, session.admin);
    room = await createRoom(server, admin, { name: 'Release' });
    agent = await createRoomAgent(server, admin, { rooms: [room.id], name: 'builder' });
    client = await connectAgent(server.url, agent.jwt);
  });
  afterAll(() => closeAllSockets());

  it('posts a reply from an expanded thread: shown under the parent as text, counted once, sent to the room', async () => {
    const plan = await parent('the release plan', ['step one']);
    await page.goto(`${server.url}/rooms/${room.id}`);
    await page.waitForSelector('body[data-live="connected"]');
    const item = parentItem(plan.seq);
    await expect(item.locator('summary').textContent()).resolves.toBe('1 reply');
    await item.locator('summary').click();
    await item.locator('.replies li', { hasText: 'step one' }).waitFor({ timeout: 5000 });

    await item.getByLabel('Reply (sent as you)').fill(`on it ${HOSTILE}`);
    await item.getByRole('button', { name: 'Reply' }).click();
    const mine = item.locator('.replies li', { hasText: 'on it' });
    await mine.waitFor({ timeout: 5000 });
    await expect(mine.locator('.body').textContent()).resolves.toBe(`on it ${HOSTILE}`);
    await expect(mine.locator('strong').textContent()).resolves.toBe('Ada Admin (you)');
    await expect(item.getByLabel('Reply (sent as you)').inputValue()).resolves.toBe('');
    // The agent gets it live as a reply; by then the page has seen it both from the thread read and the stream.
    await expect
      .poll(() => client.received.find((m) => m.body === `on it ${HOSTILE}`)?.reply_to_seq, { timeout: 5000 })
      .toBe(plan.seq);
    await expect.poll(() => item.locator('.replies li').count()).toBe(2);
    await expect(item.locator('summary').textContent()).resolves.toBe('2 replies');
    await expect(item.locator('.replies li .body').allTextContents()).resolves.toEqual([
      'step one',
      `on it ${HOSTILE}`,
    ]);
    // The stream is ordered: once a later reply shows, the stream's copy of ours was seen too, and not counted again.
    expect((await client.ask('message:send', { room_id: room.id, body: 'noted', reply_to_seq: plan.seq })).ok).toBe(
      true,
    );
    await item.locator('.replies li', { hasText: 'noted' }).waitFor({ timeout: 5000 });
    await expect(item.locator('summary').textContent()).resolves.toBe('3 replies');
    expect(page.url()).toBe(`${server.url}/rooms/${room.id}`);
    await expect(page.locator('main img').count()).resolves.toBe(0);
    await expect(page.evaluate(() => (globalThis as { __xss?: number }).__xss)).resolves.toBeUndefined();
    expect((await thread(plan.seq)).messages.map((m) => m.body)).toEqual([
      'the release plan',
      'step one',
      `on it ${HOSTILE}`,
      'noted',
    ]);
    expect(session.errors).toEqual([]);
  });

  it('starts a thread on a message without replies, and on one that arrived live', async () => {
    const lone = await parent('anyone around?');
    await page.goto(`${server.url}/rooms/${room.id}`);
    await page.waitForSelector('body[data-live="connected"]');
    const item = parentItem(lone.seq);
    await item.locator('summary', { hasText: 'Reply' }).click();
    await item.getByLabel('Reply (sent as you)').fill('here');
    await item.getByRole('button', { name: 'Reply' }).click();
    await item.locator('.replies li', { hasText: 'here' }).waitFor({ timeout: 5000 });
    await expect.poll(() => item.locator('summary').textContent()).toBe('1 reply');

    const live = await client.send(room.id, 'a live question');
    if (!live.ok) throw new Error(live.error);
    const seq = (live as unknown as { message: WireMessage }).message.seq;
    await parentItem(seq).waitFor({ timeout: 5000 });
    await parentItem(seq).locator('summary').click();
    await parentItem(seq).getByLabel('Reply (sent as you)').fill('a live answer');
    await parentItem(seq).getByRole('button', { name: 'Reply' }).click();
    await parentItem(seq).locator('.replies li', { hasText: 'a live answer' }).waitFor({ timeout: 5000 });
    expect((await thread(seq)).messages.map((m) => m.body)).toEqual(['a live question', 'a live answer']);
  });

  it('shows the service’s refusal in the form and stores nothing', async () => {
    const plan = await parent('refusals');
    await page.goto(`${server.url}/rooms/${room.id}`);
    const item = parentItem(plan.seq);
    await item.locator('summary').click();
    // A seq no message of this room has: as if the form had been tampered with.
    await item.locator('input[name="reply_to_seq"]').evaluate((input) => {
      (input as unknown as { value: string }).value = '99999';
    });
    await item.getByLabel('Reply (sent as you)').fill('lost reply');
    const before = await storedSeqs(server, room.id);
    await item.getByRole('button', { name: 'Reply' }).click();
    await expect(item.getByRole('alert').textContent({ timeout: 5000 })).resolves.toBe(
      'No message with seq 99999 in this room.',
    );
    expect(await storedSeqs(server, room.id)).toEqual(before);
  });

  it('works without JavaScript: a form post, then a 303 back to the thread, open, with the reply in it', async () => {
    const plan = await parent('no script here', ['first']);
    const context = await session.browser.newContext({
      javaScriptEnabled: false,
      storageState: await session.context.storageState(),
    });
    try {
      const plain = await context.newPage();
      await plain.goto(`${server.url}/rooms/${room.id}`);
      const item = plain.locator(`#messages > li[data-seq="${plan.seq}"]`);
      await item.locator('summary').click();
      await item.getByLabel('Reply (sent as you)').fill(`second ${HOSTILE}`);
      await Promise.all([plain.waitForURL(/\?thread=/), item.getByRole('button', { name: 'Reply' }).click()]);
      expect(plain.url()).toBe(`${server.url}/rooms/${room.id}?thread=${plan.seq}#seq-${plan.seq}`);
      const open = plain.locator(`#seq-${plan.seq} > details.thread[open]`);
      await expect(open.locator('summary').textContent()).resolves.toBe('2 replies');
      await expect(open.locator('.replies li .body').allTextContents()).resolves.toEqual([
        'first',
        `second ${HOSTILE}`,
      ]);
      await expect(plain.locator('main img').count()).resolves.toBe(0);
    } finally {
      await context.close();
    }
  });

  it('answers an unknown or another room’s seq with a 400 page that says so, and stores nothing', async () => {
    const other = await createRoom(server, admin, { name: 'Elsewhere' });
    const small = await createRoom(server, admin, { name: 'Small' });
    for (const body of ['one', 'two', 'three'])
      expect((await postMessage(server, admin, other.id, body)).statusCode).toBe(201);
    expect((await postMessage(server, admin, small.id, 'only one')).statusCode).toBe(201);
    for (const seq of ['3', '777']) {
      const res = await postForm(admin, small.id, { body: 'misfiled', reply_to_seq: seq });
      expect(res.statusCode, seq).toBe(400);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.body).toContain(`No message with seq ${seq} in this room.`);
    }
    const bad = await postForm(admin, small.id, { body: 'misfiled', reply_to_seq: 'two' });
    expect(bad.statusCode).toBe(400);
    expect(await storedSeqs(server, small.id)).toEqual([1]);
  });

  it('answers another tenant’s person with 404 when they post a reply to the room, and stores nothing', async () => {
    const plan = await parent('tenant walls');
    const outsider = await addUser(server, admin);
    const other = await signIn(server, { email: outsider.email, password: PASSWORD });
    const before = await storedSeqs(server, room.id);
    const res = await postForm(other, room.id, { body: 'let me in', reply_to_seq: String(plan.seq) });
    expect(res.statusCode).toBe(404);
    expect(res.body).not.toContain('tenant walls');
    expect(await storedSeqs(server, room.id)).toEqual(before);
  });
});
