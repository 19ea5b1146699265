import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestApp } from '../harness/app.js';
import { signInAdmin, type Person } from '../harness/identity.js';
import { createRoom, createRoomAgent, scrape, storedSeqs } from '../harness/rooms.js';
import { closeAllSockets, connectAgent, oneTo, type WireMessage } from '../harness/sockets.js';

/**
 * Sends into one room are group-committed: those that arrive while a statement runs share the next one.
 * What a sender sees must not change: its own message in each ack, seqs gap-free in arrival order, and a
 * retried client_msg_id answered with the original — even when the retry shares a statement with others.
 */
describe('group commit of sends into one room', () => {
  let t: TestApp & { url: string };
  let admin: Person;

  beforeAll(async () => {
    t = await startTestServer({ config: { SOCKET_EVENTS_PER_SECOND: 100_000 } });
    admin = await signInAdmin(t);
  });
  afterAll(async () => {
    closeAllSockets();
    await t.close();
  });

  const batchedRows = async () => (await scrape(t, 'agenthub_message_batch_rows_sum')).get('') ?? 0;
  const statements = async () => (await scrape(t, 'agenthub_message_batch_rows_count')).get('') ?? 0;

  it('stores a burst in fewer statements than messages, each ack its own message, seqs 1..N', async () => {
    const room = await createRoom(t, admin);
    const agents = await Promise.all([0, 1].map(() => createRoomAgent(t, admin, { rooms: [room.id] })));
    const [a, b] = await Promise.all(agents.map((agent) => connectAgent(t.url, agent.jwt)));
    const [rowsBefore, statementsBefore] = [await batchedRows(), await statements()];

    const acks = await Promise.all(oneTo(60).map((i) => (i % 2 ? a! : b!).send(room.id, `burst ${i}`, `burst-${i}`)));
    const messages = acks.map((ack) => (ack.ok ? (ack['message'] as WireMessage) : undefined));
    expect(messages.every((m, i) => m?.body === `burst ${i + 1}` && m.client_msg_id === `burst-${i + 1}`)).toBe(true);
    expect(messages.map((m) => m?.seq).sort((x = 0, y = 0) => x - y)).toEqual(oneTo(60));
    // Each socket's sends keep their order: socket.io delivers a socket's events in order, seqs follow.
    for (const parity of [0, 1]) {
      const own = messages.filter((_, i) => (i + 1) % 2 === parity).map((m) => m?.seq ?? 0);
      expect(own).toEqual([...own].sort((x, y) => x - y));
    }
    expect(await storedSeqs(t, room.id)).toEqual(oneTo(60));
    expect((await batchedRows()) - rowsBefore).toBe(60);
    expect((await statements()) - statementsBefore).toBeLessThan(60);
  });

  it('answers a retry that shares a statement with other sends with the original, and stores the others', async () => {
    const room = await createRoom(t, admin);
    const agent = await createRoomAgent(t, admin, { rooms: [room.id] });
    const client = await connectAgent(t.url, agent.jwt);
    const original = await client.send(room.id, 'original', 'same-id');
    expect(original).toMatchObject({ ok: true, duplicate: false, message: { seq: 1 } });

    const acks = await Promise.all([
      ...oneTo(10).map((i) => client.send(room.id, `other ${i}`, `other-${i}`)),
      client.send(room.id, 'original', 'same-id'),
      client.send(room.id, 'first of a pair', 'pair'),
      client.send(room.id, 'first of a pair', 'pair'),
    ]);
    const retry = acks[10]!;
    expect(retry).toMatchObject({ ok: true, duplicate: true });
    expect(retry.ok && (retry['message'] as WireMessage).id).toBe(
      original.ok && (original['message'] as WireMessage).id,
    );
    const pair = acks.slice(11).map((ack) => (ack.ok ? ack : undefined));
    expect(pair.map((ack) => ack?.['duplicate']).sort()).toEqual([false, true]);
    expect(new Set(pair.map((ack) => (ack?.['message'] as WireMessage).id)).size).toBe(1);
    expect(acks.slice(0, 10).every((ack) => ack.ok && ack['duplicate'] === false)).toBe(true);
    expect(await storedSeqs(t, room.id)).toEqual(oneTo(12));
  });
});
