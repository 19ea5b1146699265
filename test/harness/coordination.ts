import { sql } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import type { InboxItem, InboxPage } from '../../src/client/index.js';
import { queryRows } from '../../src/db/client.js';
import type { TestApp } from './app.js';
import type { Person } from './identity.js';
import { headersOf, type Caller, type WireRoom } from './rooms.js';
import type { WireMessage } from './sockets.js';

export type { InboxItem, InboxPage };

/** A team owned by `owner`, with these people added under their roles. */
export async function createTeam(
  t: TestApp,
  owner: Person,
  members: { person: Person; role: 'viewer' | 'member' | 'admin' }[] = [],
): Promise<string> {
  const team = await t.app.inject({
    method: 'POST',
    url: '/api/v1/teams',
    headers: owner.headers,
    payload: { name: `Team ${Math.random().toString(36).slice(2, 8)}` },
  });
  if (team.statusCode !== 201) throw new Error(`team creation failed: ${team.statusCode} ${team.body}`);
  const teamId = team.json<{ team: { id: string } }>().team.id;
  for (const { person, role } of members) {
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/teams/${teamId}/members`,
      headers: owner.headers,
      payload: { email: person.email, role },
    });
    if (res.statusCode !== 201) throw new Error(`adding a team member failed: ${res.statusCode} ${res.body}`);
  }
  return teamId;
}

export function sendDirect(
  t: TestApp,
  by: Caller,
  agentId: string,
  payload: Record<string, unknown>,
): Promise<LightMyRequestResponse> {
  return t.app.inject({
    method: 'POST',
    url: `/api/v1/direct/${agentId}/messages`,
    headers: headersOf(by),
    payload,
  });
}

/** POST /api/v1/direct/:agent_id/messages; throws unless 201. */
export async function direct(
  t: TestApp,
  by: Caller,
  agentId: string,
  body: string,
): Promise<{ room: WireRoom & { kind: string }; message: WireMessage }> {
  const res = await sendDirect(t, by, agentId, { body });
  if (res.statusCode !== 201) throw new Error(`direct message failed: ${res.statusCode} ${res.body}`);
  return res.json();
}

export function inboxOf(t: TestApp, by: Caller, query: Record<string, string | number> = {}) {
  const qs = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)])).toString();
  return t.app.inject({ url: `/api/v1/inbox${qs ? `?${qs}` : ''}`, headers: headersOf(by) });
}

/** GET /api/v1/inbox; throws unless 200. */
export async function inbox(t: TestApp, by: Caller, query: Record<string, string | number> = {}): Promise<InboxPage> {
  const res = await inboxOf(t, by, query);
  if (res.statusCode !== 200) throw new Error(`inbox failed: ${res.statusCode} ${res.body}`);
  return res.json();
}

export function ack(t: TestApp, by: Caller, payload: unknown): Promise<LightMyRequestResponse> {
  return t.app.inject({
    method: 'POST',
    url: '/api/v1/inbox/ack',
    headers: headersOf(by),
    payload: payload as Record<string, unknown>,
  });
}

export interface RecipientRow {
  message_id: string;
  agent_id: string | null;
  user_id: string | null;
  reason: string;
  delivered_at: string | null;
  acknowledged_at: string | null;
}

/** The recipient rows of a room (or of everything), straight from the database. */
export async function recipientRows(t: TestApp, roomId?: string): Promise<RecipientRow[]> {
  return queryRows<RecipientRow & Record<string, unknown>>(
    t.database.db,
    roomId
      ? sql`select message_id, agent_id, user_id, reason, delivered_at, acknowledged_at from message_recipients
            where room_id = ${roomId} order by seq, agent_id`
      : sql`select message_id, agent_id, user_id, reason, delivered_at, acknowledged_at from message_recipients
            order by created_at, agent_id`,
  );
}

/** Polls an async check until it returns something other than undefined/false/null (deadline only for hangs). */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false | null>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false && value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
