import { sql } from 'drizzle-orm';
import type { WakeHook } from '../../src/client/index.js';
import { queryRows, type Db } from '../../src/db/client.js';
import type { TestApp } from './app.js';
import { bearer, type Person } from './identity.js';
import type { RoomAgent } from './rooms.js';

export type WireWakeHook = WakeHook;

/** PUT a wake hook as the agent itself (`/agents/me`) or as a person for `agentId`. Returns the raw answer. */
export function putWakeHook(t: TestApp, by: RoomAgent | { person: Person; agentId: string }, body: unknown) {
  return t.app.inject({
    method: 'PUT',
    url: 'person' in by ? `/api/v1/agents/${by.agentId}/wake-hook` : '/api/v1/agents/me/wake-hook',
    headers: 'person' in by ? by.person.headers : bearer(by.jwt),
    payload: body as Record<string, unknown>,
  });
}

/** Registers the agent's hook; throws unless 200. Returns the hook and its secret. */
export async function setWakeHook(t: TestApp, agent: RoomAgent, body: Record<string, unknown>) {
  const res = await putWakeHook(t, agent, body);
  if (res.statusCode !== 200) throw new Error(`wake hook failed: ${res.statusCode} ${res.body}`);
  return res.json<{ wake_hook: WireWakeHook; secret: string }>();
}

/**
 * A message addressed to `recipient` stored straight in SQL, as the mention/DM send path stores it: the
 * message with the room's next seq, and its `message_recipients` row (created at `at`, default now).
 */
export async function addressedMessage(
  t: { database: { db: Db } },
  input: {
    roomId: string;
    senderAgentId: string;
    recipientAgentId: string;
    reason?: 'mention' | 'room_mention' | 'direct';
    body?: string;
    at?: Date;
  },
): Promise<{ id: string; seq: number }> {
  const at = (input.at ?? new Date()).toISOString();
  const body = input.body ?? `@someone please look (${Math.random().toString(36).slice(2, 8)})`;
  const [message] = await queryRows<{ id: string; seq: string | number }>(
    t.database.db,
    sql`with r as (update rooms set last_seq = last_seq + 1 where id = ${input.roomId} returning last_seq)
        insert into messages (room_id, seq, sender_agent_id, body, created_at)
        select ${input.roomId}, r.last_seq, ${input.senderAgentId}, ${body}, ${at}::timestamptz from r
        returning id, seq`,
  );
  if (!message) throw new Error('message not stored');
  await t.database.db.execute(
    sql`insert into message_recipients (message_id, room_id, seq, agent_id, reason, created_at)
        values (${message.id}, ${input.roomId}, ${message.seq}, ${input.recipientAgentId},
                ${input.reason ?? 'mention'}, ${at}::timestamptz)`,
  );
  return { id: message.id, seq: Number(message.seq) };
}

/** One scan and one delivery round at `now` (the grace and windows are judged against it). */
export async function wakeRound(t: TestApp, now = new Date(Date.now() + t.config.WAKE_GRACE_MS + 1000)) {
  const queued = await t.ctx.services.wake.scan.tick(now);
  const sent = await t.ctx.services.wake.delivery.tick(now);
  return { queued, sent };
}

export async function wakeOutboxOf(t: TestApp, agentId: string) {
  return queryRows<{
    id: string;
    status: string;
    attempts: number;
    last_error: string | null;
    next_attempt_at: Date | string;
    payload: unknown;
  }>(
    t.database.db,
    sql`select id, status, attempts, last_error, next_attempt_at, payload from wake_outbox
        where agent_id = ${agentId} order by created_at`,
  );
}

export async function wakeIdsOf(t: TestApp, messageIds: string[]): Promise<(string | null)[]> {
  const rows = await queryRows<{ message_id: string; wake_id: string | null }>(
    t.database.db,
    sql`select message_id, wake_id from message_recipients where message_id in (${sql.join(
      messageIds.map((id) => sql`${id}::uuid`),
      sql`, `,
    )})`,
  );
  const byId = new Map(rows.map((r) => [r.message_id, r.wake_id]));
  return messageIds.map((id) => byId.get(id) ?? null);
}
