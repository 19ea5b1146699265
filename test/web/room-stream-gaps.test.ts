import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messages, rooms } from '../../src/db/schema/index.js';
import { startTestServer, type TestApp } from '../harness/app.js';
import { signInAdmin, type Person } from '../harness/identity.js';
import { createRoom, postMessage } from '../harness/rooms.js';
import { until } from '../harness/sockets.js';
import { openEventStream } from '../harness/sse.js';

/**
 * A room's live stream for people reads the database when a message arrives ahead of the next seq:
 * with several instances, messages can arrive out of order, or one can be lost while Redis is away.
 */
describe("a room's live stream with a gap", () => {
  let t: TestApp & { url: string };
  let admin: Person;

  beforeAll(async () => {
    t = await startTestServer();
    admin = await signInAdmin(t);
  });
  afterAll(() => t.close());

  it('fills the gap from the database before the message that revealed it, and repeats nothing', async () => {
    const room = await createRoom(t, admin);
    const stream = await openEventStream(`${t.url}/rooms/${room.id}/stream`, admin.headers.cookie);
    const ids = () => stream.events.filter((e) => e.event === 'message').map((e) => Number(e.id));

    // Three messages stored without their events (as if announced elsewhere and not heard here)…
    const { db } = t.database;
    await db
      .insert(messages)
      .values([1, 2, 3].map((seq) => ({ roomId: room.id, seq, senderUserId: admin.id, body: `unheard ${seq}` })));
    await db.update(rooms).set({ lastSeq: 3 }).where(eq(rooms.id, room.id));
    const [third] = await db
      .select()
      .from(messages)
      .where(sql`${messages.roomId} = ${room.id} and seq = 3`);
    // …then only the last one is heard, and an old one again.
    t.ctx.events.emit('message.created', { message: third! });
    await until('the gap filled', () => ids().length === 3);
    const [second] = await db
      .select()
      .from(messages)
      .where(sql`${messages.roomId} = ${room.id} and seq = 2`);
    t.ctx.events.emit('message.created', { message: second! });

    expect((await postMessage(t, admin, room.id, 'heard')).statusCode).toBe(201);
    await until('the next message', () => ids().length >= 4);
    expect(ids()).toEqual([1, 2, 3, 4]);
    expect(
      stream.events.filter((e) => e.event === 'message').map((e) => (JSON.parse(e.data) as { body: string }).body),
    ).toEqual(['unheard 1', 'unheard 2', 'unheard 3', 'heard']);
    await stream.close();
  });
});
