import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestApp } from '../harness/app.js';
import { signInAdmin, type Person } from '../harness/identity.js';
import { createRoom, createRoomAgent, scrape } from '../harness/rooms.js';
import { closeAllSockets, connectAgent, sleep, until } from '../harness/sockets.js';

describe('a socket that goes away while its events are still being handled', () => {
  let t: TestApp & { url: string };
  let admin: Person;

  beforeAll(async () => {
    t = await startTestServer();
    admin = await signInAdmin(t);
  });
  afterAll(async () => {
    closeAllSockets();
    await t.close();
  });

  it('leaves no ghost in presence when it disconnects while its room:join is checking membership', async () => {
    const room = await createRoom(t, admin);
    const observer = await connectAgent(t.url, (await createRoomAgent(t, admin, { rooms: [room.id] })).jwt);
    const leaver = await createRoomAgent(t, admin, { rooms: [room.id] });
    const client = await connectAgent(t.url, leaver.jwt);
    expect(await client.ask('room:leave', { room_id: room.id })).toEqual({ ok: true });
    await until('the left diff', () => observer.presence.some((p) => p.left.length > 0));
    const seenBefore = observer.presence.length;

    // The join's membership check waits on the lock (on PGlite, on its one connection); the
    // socket is gone before the check returns.
    await t.database.db.transaction(async (tx) => {
      await tx.execute(sql`lock table room_members in access exclusive mode`);
      client.socket.emit('room:join', { room_id: room.id });
      await sleep(300);
      client.socket.disconnect();
      await sleep(300);
    });
    await sleep(300);

    const ack = await observer.ask('room:join', { room_id: room.id });
    expect(ack).toMatchObject({ ok: true, presence: [{ agent_id: observer.hello.agent_id }] });
    expect(observer.presence.slice(seenBefore).filter((p) => p.joined.length > 0)).toEqual([]);
    expect((await scrape(t, 'agenthub_agents_connected')).get('')).toBe(1);
    observer.socket.close();
    await observer.disconnected;
    await sleep(200);
    expect((await scrape(t, 'agenthub_rooms_active')).get('')).toBe(0);
  });
});
