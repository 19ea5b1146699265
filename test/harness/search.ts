import { sql } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import type { SearchHit, SearchPage } from '../../src/client/index.js';
import { queryRows } from '../../src/db/client.js';
import type { TestApp } from './app.js';
import { headersOf, type Caller } from './rooms.js';

/** The wire shapes, as the SDK types them. */
export type WireHit = SearchHit;
export type WireSearchPage = SearchPage;

export function searchRequest(
  t: TestApp,
  by: Caller,
  query: Record<string, string | number | undefined>,
): Promise<LightMyRequestResponse> {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
  return t.app.inject({ url: `/api/v1/search/messages?${params.toString()}`, headers: headersOf(by) });
}

/** GET /api/v1/search/messages; throws unless 200. */
export async function search(
  t: TestApp,
  by: Caller,
  query: Record<string, string | number | undefined>,
): Promise<WireSearchPage> {
  const res = await searchRequest(t, by, query);
  if (res.statusCode !== 200) throw new Error(`search failed: ${res.statusCode} ${res.body}`);
  return res.json<WireSearchPage>();
}

/** Every page of a search, following next_cursor. */
export async function searchAll(
  t: TestApp,
  by: Caller,
  query: Record<string, string | number | undefined>,
): Promise<{ hits: WireHit[]; pages: number }> {
  const hits: WireHit[] = [];
  let cursor = query['cursor'] === undefined ? undefined : String(query['cursor']);
  let pages = 0;
  do {
    const page = await search(t, by, { ...query, cursor });
    hits.push(...page.results);
    pages += 1;
    cursor = page.next_cursor ?? undefined;
    if (pages > 1000) throw new Error('search pagination does not end');
  } while (cursor);
  return { hits, pages };
}

/** The highlighted words of a hit, in order. */
export const highlightsOf = (hit: WireHit): string[] =>
  hit.snippet_parts.filter((p) => p.highlighted).map((p) => p.text);

/**
 * A direct room written with SQL (the direct-message part creates them; search only reads them): its member
 * agents, and its person when given.
 */
export async function insertDirectRoom(
  t: TestApp,
  input: { ownerId: string; agentIds: string[]; userId?: string; bodies: string[] },
): Promise<{ id: string }> {
  const participants = [
    ...input.agentIds.map((id) => `agent:${id}`),
    ...(input.userId ? [`user:${input.userId}`] : []),
  ].sort();
  const [room] = await queryRows<{ id: string }>(
    t.database.db,
    sql`insert into rooms (slug, name, owner_id, kind, direct_key, direct_user_id, last_seq)
        values (${`dm-${participants.join('-').slice(0, 40)}-${Math.random().toString(36).slice(2, 8)}`}, 'Direct',
                ${input.ownerId}, 'direct', ${participants.join('|')}, ${input.userId ?? null}, ${input.bodies.length})
        returning id`,
  );
  if (!room) throw new Error('direct room not inserted');
  for (const agentId of input.agentIds)
    await t.database.db.execute(sql`insert into room_members (room_id, agent_id) values (${room.id}, ${agentId})`);
  for (const [i, body] of input.bodies.entries())
    await t.database.db.execute(
      sql`insert into messages (room_id, seq, sender_agent_id, body) values (${room.id}, ${i + 1}, ${input.agentIds[0] ?? null}, ${body})`,
    );
  return room;
}
