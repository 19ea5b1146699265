import { sql } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { queryRows } from '../../src/db/client.js';
import type { TestApp } from './app.js';
import { bearer, createAgentWithToken, type AgentWithToken, type Person } from './identity.js';
import type { WireMessage } from './sockets.js';

export interface WireRoom {
  id: string;
  slug: string;
  name: string;
  owner_id: string;
  team_id: string | null;
  last_seq: number;
  created_at: string;
  archived_at: string | null;
}

/** An agent with an API token and an access JWT exchanged for it. */
export interface RoomAgent extends AgentWithToken {
  jwt: string;
}

/** Who calls a REST endpoint: a signed-in person, or an agent by its JWT. */
export type Caller = Person | RoomAgent;

export function headersOf(caller: Caller): Record<string, string> {
  return 'jwt' in caller ? bearer(caller.jwt) : caller.headers;
}

let slugCounter = 0;
export function uniqueSlug(label = 'room'): string {
  slugCounter += 1;
  return `${label}-${slugCounter}-${Math.random().toString(36).slice(2, 8)}`;
}

/** POST /api/v1/rooms; throws unless 201. */
export async function createRoom(
  t: TestApp,
  by: Caller,
  input: { slug?: string; name?: string; team_id?: string } = {},
): Promise<WireRoom> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/rooms',
    headers: headersOf(by),
    payload: { slug: input.slug ?? uniqueSlug(), name: input.name ?? 'A room', ...input },
  });
  if (res.statusCode !== 201) throw new Error(`room creation failed: ${res.statusCode} ${res.body}`);
  return res.json<{ room: WireRoom }>().room;
}

export function addMember(t: TestApp, by: Caller, roomId: string, agentId: string): Promise<LightMyRequestResponse> {
  return t.app.inject({
    method: 'POST',
    url: `/api/v1/rooms/${roomId}/members`,
    headers: headersOf(by),
    payload: { agent_id: agentId },
  });
}

export function removeMember(t: TestApp, by: Caller, roomId: string, agentId: string): Promise<LightMyRequestResponse> {
  return t.app.inject({ method: 'DELETE', url: `/api/v1/rooms/${roomId}/members/${agentId}`, headers: headersOf(by) });
}

/**
 * An agent (owned by `owner`, default the admin) with a JWT, added by the
 * owner to every room in `rooms`.
 */
export async function createRoomAgent(
  t: TestApp,
  admin: Person,
  options: { owner?: Person; rooms?: string[]; role?: 'admin' | 'agent'; teamId?: string; name?: string } = {},
): Promise<RoomAgent> {
  const created = await createAgentWithToken(t, admin, {
    ...(options.owner ? { owner: options.owner, issuer: options.owner } : {}),
    ...(options.role ? { role: options.role } : {}),
    ...(options.teamId ? { teamId: options.teamId } : {}),
    ...(options.name ? { name: options.name } : {}),
  });
  for (const roomId of options.rooms ?? []) {
    const res = await addMember(t, options.owner ?? admin, roomId, created.agent.id);
    if (res.statusCode !== 201) throw new Error(`adding a member failed: ${res.statusCode} ${res.body}`);
  }
  return { ...created, jwt: accessTokenFor(t, created) };
}

/**
 * The access JWT POST /api/v1/sessions would return, signed by the app's own
 * token service without the argon2 check of the API token (the exchange has
 * its own tests; here it would only slow every setup down).
 */
export function accessTokenFor(t: TestApp, of: AgentWithToken): string {
  const a = of.agent;
  const role = 'role' in a && a.role === 'admin' ? 'admin' : 'agent';
  return t.ctx.services.accessTokens.issue(
    { id: a.id, name: a.name, ownerId: a.owner_id, teamId: a.team_id, serverId: a.server_id, role },
    of.credentialId,
    [],
  ).token;
}

export function postMessage(
  t: TestApp,
  by: Caller,
  roomId: string,
  body: string,
  clientMsgId?: string,
): Promise<LightMyRequestResponse> {
  return t.app.inject({
    method: 'POST',
    url: `/api/v1/rooms/${roomId}/messages`,
    headers: headersOf(by),
    payload: { body, ...(clientMsgId ? { client_msg_id: clientMsgId } : {}) },
  });
}

export async function history(
  t: TestApp,
  by: Caller,
  roomId: string,
  query: Record<string, string | number> = {},
): Promise<{ messages: WireMessage[]; next_cursor: string | null }> {
  const qs = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)])).toString();
  const res = await t.app.inject({
    url: `/api/v1/rooms/${roomId}/messages${qs ? `?${qs}` : ''}`,
    headers: headersOf(by),
  });
  if (res.statusCode !== 200) throw new Error(`history failed: ${res.statusCode} ${res.body}`);
  return res.json();
}

/** Every stored seq of a room, ascending, straight from the database. */
export async function storedSeqs(t: TestApp, roomId: string): Promise<number[]> {
  const rows = await queryRows<{ seq: string | number }>(
    t.database.db,
    sql`select seq from messages where room_id = ${roomId} order by seq`,
  );
  return rows.map((r) => Number(r.seq));
}

/** The series of one Prometheus metric family in GET /metrics, as `labels -> value`. */
export async function scrape(t: TestApp, name: string): Promise<Map<string, number>> {
  const res = await t.app.inject('/metrics');
  if (res.statusCode !== 200) throw new Error(`GET /metrics failed: ${res.statusCode}`);
  const found = new Map<string, number>();
  for (const line of res.body.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (match?.[1] === name) found.set(match[2] ?? '', Number(match[3]));
  }
  return found;
}
