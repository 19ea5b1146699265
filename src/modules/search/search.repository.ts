import { sql, type SQL } from 'drizzle-orm';
import { queryRows, type Db } from '../../db/client.js';
import type { SearchPosition } from './search.cursor.js';
import type { Markers } from './search.snippets.js';

/**
 * Which rooms a caller reads, as SQL over `rooms r` (rooms.service `list` and `canRead`, plus the rule that a
 * direct room is read by its participants only: its member agents and its person).
 */
export type ReadScope =
  | { kind: 'user'; userId: string; everyRoom: boolean; teamIds: string[] }
  | { kind: 'agent'; agentId: string; tenant: { ownerId: string; teamId: string | null } | null };

/** The rooms to search: their ids, or every room the scope reads (a server admin's: too many to list). */
export type SearchRooms = { ids: string[] } | { scope: ReadScope };

export interface SearchInput {
  rooms: SearchRooms;
  q: string;
  from?: Date | undefined;
  to?: Date | undefined;
  after?: SearchPosition | undefined;
  limit: number;
  markers: Markers;
}

export interface SearchRow {
  id: string;
  roomId: string;
  roomSlug: string;
  roomName: string;
  roomKind: string;
  seq: number;
  senderAgentId: string | null;
  senderUserId: string | null;
  senderAgentName: string | null;
  createdAt: Date;
  rank: number;
  position: SearchPosition;
  headline: string;
}

/** Bodies up to this many characters come back whole (highlighted); longer ones as fragments around the hits. */
const WHOLE_BODY_CHARS = 300;

const uuidList = (ids: string[]): SQL =>
  sql.join(
    ids.map((id) => sql`${id}::uuid`),
    sql`, `,
  );

export function readablePredicate(scope: ReadScope): SQL {
  if (scope.kind === 'user') {
    const tenant = scope.everyRoom
      ? sql`true`
      : scope.teamIds.length
        ? sql`(r.owner_id = ${scope.userId}::uuid or r.team_id in (${uuidList(scope.teamIds)}))`
        : sql`r.owner_id = ${scope.userId}::uuid`;
    return sql`((r.kind = 'room' and ${tenant}) or (r.kind = 'direct' and r.direct_user_id = ${scope.userId}::uuid))`;
  }
  const member = sql`exists (select 1 from room_members rm where rm.room_id = r.id and rm.agent_id = ${scope.agentId}::uuid)`;
  if (!scope.tenant) return member;
  const team = scope.tenant.teamId ? sql` or r.team_id = ${scope.tenant.teamId}::uuid` : sql``;
  return sql`((r.kind = 'room' and (r.owner_id = ${scope.tenant.ownerId}::uuid${team})) or ${member})`;
}

export function createSearchRepository({ db }: { db: Db }) {
  return {
    /** How websearch_to_tsquery reads q: its node count (0: nothing to search) and its indexable tree ('T': none). */
    async inspectQuery(q: string): Promise<{ nodes: number; tree: string }> {
      const [row] = await queryRows<{ nodes: number | string; tree: string }>(
        db,
        sql`select numnode(query) as nodes, querytree(query) as tree from websearch_to_tsquery('english', ${q}::text) query`,
      );
      return { nodes: Number(row?.nodes ?? 0), tree: row?.tree ?? '' };
    },

    /** The ids of the rooms the scope reads (only `roomId`, when given and readable). */
    async readableRoomIds(scope: ReadScope, roomId?: string): Promise<string[]> {
      const room = roomId ? sql` and r.id = ${roomId}::uuid` : sql``;
      const rows = await queryRows<{ id: string }>(
        db,
        sql`select r.id from rooms r where ${readablePredicate(scope)}${room}`,
      );
      return rows.map((r) => r.id);
    },

    /**
     * One statement: the GIN-indexed match restricted to the rooms first, ranked and cut to the page; only the
     * page's rows pay for ts_headline (it re-parses each body). The room ids and the tsquery reach the planner as
     * constants, so it sees how many rows each side matches and picks the cheaper index (docs/BENCHMARKS.md#search).
     */
    async search(input: SearchInput): Promise<SearchRow[]> {
      const { markers } = input;
      const query = sql`websearch_to_tsquery('english', ${input.q}::text)`;
      const conditions: SQL[] = [
        'ids' in input.rooms
          ? sql`m.room_id = any(string_to_array(${input.rooms.ids.join(',')}::text, ',')::uuid[])`
          : sql`m.room_id in (select r.id from rooms r where ${readablePredicate(input.rooms.scope)})`,
        sql`m.search_vector @@ ${query}`,
      ];
      if (input.from) conditions.push(sql`m.created_at >= ${input.from.toISOString()}::timestamptz`);
      if (input.to) conditions.push(sql`m.created_at < ${input.to.toISOString()}::timestamptz`);
      const after = input.after
        ? sql`where (rank, created_at, id) < (${input.after.rank}::real, ${input.after.createdAt}::timestamptz, ${input.after.id}::uuid)`
        : sql``;
      const selectors = `StartSel=${markers.start}, StopSel=${markers.stop}`;
      const whole = `${selectors}, HighlightAll=true`;
      const fragments = `${selectors}, MaxFragments=3, MaxWords=18, MinWords=6, ShortWord=2, FragmentDelimiter=" … "`;
      const rows = await queryRows<Record<string, unknown>>(
        db,
        sql`
        with matched as (
          select m.id, m.room_id, m.seq, m.sender_agent_id, m.sender_user_id, m.created_at,
                 ts_rank_cd(m.search_vector, ${query}) as rank
          from messages m
          where ${sql.join(conditions, sql` and `)}
        ), page as (
          select * from matched ${after} order by rank desc, created_at desc, id desc limit ${input.limit}::int
        )
        select page.id, page.room_id, r.slug as room_slug, r.name as room_name, r.kind as room_kind, page.seq,
               page.sender_agent_id, page.sender_user_id, coalesce(a.display_name, a.name) as sender_agent_name,
               page.created_at, page.rank, page.rank::text as rank_text,
               to_char(page.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as created_exact,
               ts_headline('english', b.body, ${query},
                 case when length(b.body) <= ${WHOLE_BODY_CHARS}::int then ${whole}::text else ${fragments}::text end
               ) as headline
        from page
        join rooms r on r.id = page.room_id
        join messages b on b.id = page.id
        left join agents a on a.id = page.sender_agent_id
        order by page.rank desc, page.created_at desc, page.id desc`,
      );
      return rows.map(toSearchRow);
    },
  };
}

function toSearchRow(row: Record<string, unknown>): SearchRow {
  const id = String(row['id']);
  return {
    id,
    roomId: String(row['room_id']),
    roomSlug: String(row['room_slug']),
    roomName: String(row['room_name']),
    roomKind: String(row['room_kind']),
    seq: Number(row['seq']),
    senderAgentId: (row['sender_agent_id'] as string | null) ?? null,
    senderUserId: (row['sender_user_id'] as string | null) ?? null,
    senderAgentName: (row['sender_agent_name'] as string | null) ?? null,
    createdAt: new Date(row['created_at'] as string | Date),
    rank: Number(row['rank']),
    position: { rank: String(row['rank_text']), createdAt: String(row['created_exact']), id },
    headline: (row['headline'] as string | null) ?? '',
  };
}

export type SearchRepository = ReturnType<typeof createSearchRepository>;
