import { sql } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import type { Claim, ClaimConflict } from '../../src/client/index.js';
import { queryRows } from '../../src/db/client.js';
import type { TestApp } from './app.js';
import { headersOf, type Caller } from './rooms.js';

/** A claim and a conflict as the wire carries them (REST, socket acks and events, MCP), as the SDK types them. */
export type WireClaim = Claim;
export type WireConflict = ClaimConflict;

export function claimOverRest(
  t: TestApp,
  by: Caller,
  roomId: string,
  payload: Record<string, unknown>,
): Promise<LightMyRequestResponse> {
  return t.app.inject({
    method: 'POST',
    url: `/api/v1/rooms/${roomId}/claims`,
    headers: headersOf(by),
    payload: { ttl_seconds: 60, ...payload },
  });
}

export function releaseOverRest(t: TestApp, by: Caller, roomId: string, claimId: string) {
  return t.app.inject({ method: 'DELETE', url: `/api/v1/rooms/${roomId}/claims/${claimId}`, headers: headersOf(by) });
}

export function renewOverRest(t: TestApp, by: Caller, roomId: string, claimId: string, ttlSeconds: number) {
  return t.app.inject({
    method: 'PATCH',
    url: `/api/v1/rooms/${roomId}/claims/${claimId}`,
    headers: headersOf(by),
    payload: { ttl_seconds: ttlSeconds },
  });
}

export async function liveClaims(t: TestApp, by: Caller, roomId: string): Promise<WireClaim[]> {
  const res = await t.app.inject({ url: `/api/v1/rooms/${roomId}/claims`, headers: headersOf(by) });
  if (res.statusCode !== 200) throw new Error(`listing claims failed: ${res.statusCode} ${res.body}`);
  return res.json<{ claims: WireClaim[] }>().claims;
}

/** Every stored claim row of a room (live or not), straight from the database. */
export async function storedClaims(t: TestApp, roomId: string): Promise<Record<string, unknown>[]> {
  return queryRows(t.database.db, sql`select * from room_claims where room_id = ${roomId} order by created_at`);
}
