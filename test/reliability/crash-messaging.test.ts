import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentHubClient, type Message } from '../../src/client/index.js';
import type { RealtimeClient } from '../../src/client/realtime.js';
import { testConfig } from '../../src/config.js';
import { queryRows } from '../../src/db/client.js';
import { runMigrations } from '../../src/db/migrate.js';
import { AppEventBus } from '../../src/lib/events.js';
import type { UserActor } from '../../src/modules/auth/actor.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { createServices } from '../../src/services.js';
import { reliabilityStore, SECRETS, startServer, type ServerProcess } from './processes.js';
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
    await store.create();
    const database = await store.open();
    await runMigrations(database);
    const config = testConfig({ jwtSecret: SECRETS.JWT_SECRET, cookieSecret: SECRETS.COOKIE_SECRET });
    const services = createServices({
      config,
      db: database.db,
      log: pino({ level: 'silent' }),
      events: new AppEventBus(),
      metrics: createMetrics(),
    });
    const { user } = await services.users.create({ email: `crash-${Date.now()}@example.com`, name: 'Crash' });
    const actor: UserActor = {
      kind: 'user',
      user: { id: user.id, email: user.email, name: user.name, role: 'admin', plan: 'enterprise' },
      sessionId: 'reliability',
      teams: new Map(),
    };
    const { room } = await services.rooms.create(actor, { slug: 'crash-room', name: 'Crash room' });
    roomId = room.id;
    for (let i = 0; i < MEMBERS; i++) {
      const { agent } = await services.agents.create({ name: `talker-${i}`, serverId: `talker-${i}` }, { actor });
      const { token } = await services.credentials.issueApiToken(agent, {}, { actor });
      await services.rooms.addMember(room.id, agent.id, actor);
      tokens.push(token);
    }
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
    const members = tokens.map((apiToken) => {
      const realtime = new AgentHubClient({ server: base, credentials: { kind: 'api-token', apiToken } }).realtime();
      const received: number[] = [];
      realtime.on('message', (m: Message) => received.push(m.seq));
      realtime.on('error', () => undefined);
      return { realtime, received };
    });
    await Promise.all(members.map((m) => m.realtime.connect()));

    const acked = new Set<string>();
    const run = { stopped: false };
    /** Read through a call: the loop's condition must not narrow it for the retry below. */
    const stopping = () => run.stopped;
    const senders = members.map(async ({ realtime }, index) => {
      let n = 0;
      while (!run.stopped) {
        const clientMsgId = randomUUID();
        // Retried with the same client_msg_id until acknowledged: at most one stored copy.
        for (;;) {
          try {
            const message = await send(realtime, `m${index}-${n}`, clientMsgId);
            acked.add(message.id);
            break;
          } catch {
            if (stopping()) break;
            await new Promise((r) => setTimeout(r, 100));
          }
        }
        n++;
      }
    });

    function send(realtime: RealtimeClient, body: string, clientMsgId: string): Promise<Message> {
      return realtime.send(roomId, body, clientMsgId);
    }

    await new Promise((r) => setTimeout(r, LOAD_MS));
    const ackedBeforeCrash = acked.size;
    server.child.kill('SIGKILL');
    await server.exited();
    server = await startServer(env, base);
    await new Promise((r) => setTimeout(r, LOAD_MS));
    run.stopped = true;
    await Promise.all(senders);

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
      for (const member of members) member.realtime.close();
      server.child.kill('SIGTERM');
      await server.exited();
      await database.close();
    }
  });
});
