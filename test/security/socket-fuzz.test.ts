import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_EVENTS } from '../../src/realtime/socket-events.js';
import { startTestServer, type TestApp } from '../harness/app.js';
import { signInAdmin } from '../harness/identity.js';
import { createRoom, createRoomAgent, storedSeqs, type WireRoom } from '../harness/rooms.js';
import { closeAllSockets, connectAgent, roundTrip, type AgentClient } from '../harness/sockets.js';
import { hostileValue } from './hostile-input.js';

const RUNS = Number(process.env['FUZZ_RUNS'] ?? 10) * 30;
const HANDLED: readonly string[] = CLIENT_EVENTS;
const EVENTS = [...HANDLED, 'message:new', 'connected', 'x', '__proto__'];
const FIELDS = ['room_id', 'since_seq', 'body', 'client_msg_id', 'token', '__proto__', 'constructor'];

/**
 * Generated hostile payloads for every socket event (and events that do not
 * exist): the server acknowledges with the one envelope or not at all, never
 * crashes, keeps the socket's room working, and stores a message only when it
 * acknowledged one.
 */
describe('hostile socket events', () => {
  let t: TestApp & { url: string };
  let room: WireRoom;
  let client: AgentClient;
  let witness: AgentClient;

  beforeAll(async () => {
    t = await startTestServer({ config: { SOCKET_EVENTS_PER_SECOND: 100_000 } });
    const admin = await signInAdmin(t);
    room = await createRoom(t, admin);
    client = await connectAgent(t.url, (await createRoomAgent(t, admin, { rooms: [room.id] })).jwt);
    witness = await connectAgent(t.url, (await createRoomAgent(t, admin, { rooms: [room.id] })).jwt);
  });
  afterAll(async () => {
    closeAllSockets();
    await t.close();
  });

  it(
    'answers every generated event with the ack envelope, and stores only what it acknowledged',
    { timeout: 600_000 },
    async () => {
      let acked = 0;
      const payload = fc.oneof(
        hostileValue(FIELDS),
        // Near-valid sends, so the rules past the schema are reached too.
        fc.record({
          room_id: fc.constantFrom(room.id, crypto.randomUUID()),
          body: fc.string({ unit: 'binary', maxLength: 300 }),
        }),
      );
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...EVENTS), payload, async (event, value) => {
          if (!HANDLED.includes(event)) {
            // Events the server does not handle are dropped; the next round trip shows the socket still serves.
            client.socket.emit(event, value);
            return;
          }
          const reply = (await client.socket.timeout(5000).emitWithAck(event, value)) as {
            ok: boolean;
            error?: string;
          };
          expect(typeof reply.ok, JSON.stringify(reply).slice(0, 200)).toBe('boolean');
          if (!reply.ok) expect(typeof reply.error).toBe('string');
          if (event === 'message:send' && reply.ok) acked += 1;
        }),
        { numRuns: RUNS },
      );
      // Still connected and serving: a last send goes through and reaches the witness.
      expect(client.socket.connected).toBe(true);
      const last = await client.send(room.id, 'still here');
      expect(last.ok).toBe(true);
      await roundTrip(witness);
      expect(witness.received.at(-1)?.body).toBe('still here');
      // Only acknowledged sends were stored, with no gap.
      const seqs = await storedSeqs(t, room.id);
      expect(seqs.length).toBe(acked + 1);
      expect(seqs).toEqual(seqs.map((_, i) => i + 1));
      expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    },
  );
});
