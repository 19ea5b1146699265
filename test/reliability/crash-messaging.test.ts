import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/client.js';
import { talkLoad } from './load.js';
import { reliabilityStore, startServer, type ServerProcess } from './processes.js';
import { seedWorld } from './world.js';
import { freePort } from '../harness/cli.js';

const MEMBERS = 3;
const LOAD_MS = Number(process.env['RELIABILITY_LOAD_MS'] ?? 3000);

/**
 * kill -9 while agents talk in a room, restart on the same database: every
 * message the server acknowledged is stored, seqs stay gap-free, and every
 * member ends up with every message, in order and once, through the SDK's
 * replay after reconnect.
 */
describe('a server killed with SIGKILL during messaging', { timeout: 300_000 }, () => {
  const store = reliabilityStore('crashr');
  let env: Record<string, string>;
  let tokens: string[] = [];
  let roomId: string;
  let port: number;

  beforeAll(async () => {
    const database = await store.prepare();
    const world = await seedWorld(database, { label: 'crash', talkers: MEMBERS });
    roomId = world.roomId;
    tokens = world.tokens;
    await database.close();
    port = await freePort();
    env = store.serverEnv(port);
  });
  afterAll(async () => {
    await store.remove();
    tokens = [];
  });

  it('loses no acknowledged message, keeps seqs gap-free and delivers every message to every member', async () => {
    const base = `http://127.0.0.1:${port}`;
    let server: ServerProcess = await startServer(env, base);
    // Each member sends one message after another, retrying with the same client_msg_id until acknowledged.
    const talk = await talkLoad(base, tokens, roomId, { retryMs: 100 });
    const { members, acked } = talk;

    await new Promise((r) => setTimeout(r, LOAD_MS));
    const ackedBeforeCrash = acked.size;
    server.child.kill('SIGKILL');
    await server.exited();
    server = await startServer(env, base);
    await new Promise((r) => setTimeout(r, LOAD_MS));
    await talk.stop();

    const database = await store.open();
    try {
      const rows = await queryRows<{ id: string; seq: string | number }>(
        database.db,
        sql`select id, seq from messages where room_id = ${roomId} order by seq`,
      );
      const seqs = rows.map((r) => Number(r.seq));
      const stored = new Set(rows.map((r) => r.id));
      const last = seqs.at(-1) ?? 0;
      // Every member catches up to the last stored message (the SDK replays by since_seq after reconnecting).
      const deadline = Date.now() + 60_000;
      while (members.some((m) => (m.received.at(-1) ?? 0) < last) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      const lost = [...acked].filter((id) => !stored.has(id)).length;
      console.info(
        `crash (rooms): ${acked.size} messages acknowledged (${ackedBeforeCrash} before the kill), ${rows.length} stored, ` +
          `${lost} lost; members received ${members.map((m) => m.received.length).join(', ')}`,
      );
      expect(lost).toBe(0);
      expect(ackedBeforeCrash).toBeGreaterThan(0);
      expect(acked.size).toBeGreaterThan(ackedBeforeCrash);
      expect(seqs).toEqual(seqs.map((_, i) => i + 1));
      for (const member of members) expect(member.received).toEqual(seqs);
    } finally {
      talk.close();
      server.child.kill('SIGTERM');
      await server.exited();
      await database.close();
    }
  });
});
