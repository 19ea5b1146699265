import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.js';
import { startTestServer, type TestApp } from '../harness/app.js';
import { createTestDatabase } from '../harness/database.js';
import { signInAdmin, type Person } from '../harness/identity.js';
import { createRoom, createRoomAgent, postMessage, storedSeqs } from '../harness/rooms.js';
import { closeAllSockets, connectAgent, type AgentClient } from '../harness/sockets.js';

/**
 * What the database refuses reaches a socket as the same answers HTTP gives: a value it cannot store is
 * `invalid_request` (HTTP 400), a database that cannot be reached is `unavailable` with `retry_after`
 * (HTTP 503 + Retry-After) — never `internal_error`, and the socket stays connected.
 */
describe('database refusals on sockets', () => {
  let database: Database;
  let t: TestApp & { url: string };
  let admin: Person;
  let roomId: string;
  let client: AgentClient;

  beforeAll(async () => {
    database = await createTestDatabase();
    t = await startTestServer({ database });
    admin = await signInAdmin(t);
    roomId = (await createRoom(t, admin)).id;
    client = await connectAgent(t.url, (await createRoomAgent(t, admin, { rooms: [roomId] })).jwt);
  });
  afterAll(async () => {
    closeAllSockets();
    await t.close();
  });

  it('answers a message body the database cannot store (a NUL byte) with invalid_request, over socket and REST, storing nothing', async () => {
    expect(await client.send(roomId, 'before')).toMatchObject({ ok: true });
    expect(await client.send(roomId, 'nul \u0000 byte')).toMatchObject({ ok: false, error: 'invalid_request' });
    expect((await postMessage(t, admin, roomId, 'nul \u0000 byte')).statusCode).toBe(400);
    expect(await client.send(roomId, 'after')).toMatchObject({ ok: true, message: { seq: 2 } });
    expect(await storedSeqs(t, roomId)).toEqual([1, 2]);
  });

  it('answers sends and joins with unavailable and retry_after once the database is gone, and keeps the socket', async () => {
    await database.close();
    const refusal = { ok: false, error: 'unavailable', message: expect.any(String) as string, retry_after: 5 };
    expect(await client.send(roomId, 'into the void')).toEqual(refusal);
    expect(await client.ask('room:join', { room_id: roomId, since_seq: 0 })).toEqual(refusal);
    expect(client.socket.connected).toBe(true);
  });
});
