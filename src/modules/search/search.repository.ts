import { sql, type SQL } from 'drizzle-orm';
import { queryRows, type Db } from '../../db/client.js';
import type { MessageEdge, SearchPosition } from './search.cursor.js';
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

/**
 * Which matches are ranked: the newest `newest` of them (a first page), or every match at or after `oldest` (the
 * window a first page ranked, for the pages after it; null: every match).
 */
export type RankWindow = { newest: number } | { oldest: MessageEdge | null };

export interface SearchInput {
  rooms: SearchRooms;
  window: RankWindow;
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

export interface SearchResult {
  rows: SearchRow[];
  /** The oldest message of the window ranked when it was cut at `newest` (older matches were left out), else null. */
  oldest: MessageEdge | null;
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
     * One statement: the matches of the rooms, newest first, cut to the window; only the window's rows are ranked
     * (ts_rank_cd reads each one's tsvector: ranking 90,000 matches of a common word over every room took 0.9 s),
     * then the page is cut and only its rows pay for ts_headline (it re-parses each body). A common word walks
     * messages_created_idx backwards until the window is full; a rarer one takes the GIN index and sorts its few
     * matches: the room ids and the tsquery reach the planner as constants, so it sees how many rows each side matches
     * (docs/BENCHMARKS.md#search).
     */
    async search(input: SearchInput): Promise<SearchResult> {
      const { markers, window } = input;
      const query = sql`websearch_to_tsquery('english', ${input.q}::text)`;
      const conditions: SQL[] = [
        'ids' in input.rooms
          ? sql`m.room_id = any(string_to_array(${input.rooms.ids.join(',')}::text, ',')::uuid[])`
          : sql`m.room_id in (select r.id from rooms r where ${readablePredicate(input.rooms.scope)})`,
        sql`m.search_vector @@ ${query}`,
      ];
      if (input.from) conditions.push(sql`m.created_at >= ${input.from.toISOString()}::timestamptz`);
      if (input.to) conditions.push(sql`m.created_at < ${input.to.toISOString()}::timestamptz`);
      if ('oldest' in window && window.oldest) {
        const { createdAt, id } = window.oldest;
        // The plain bound lets the planner estimate the range; the row comparison is the exact edge.
        conditions.push(sql`m.created_at >= ${createdAt}::timestamptz`);
        conditions.push(sql`(m.created_at, m.id) >= (${createdAt}::timestamptz, ${id}::uuid)`);
      }
      const cut = 'newest' in window ? sql`order by m.created_at desc, m.id desc limit ${window.newest}::int` : sql``;
      const full = 'newest' in window ? sql`(select count(*) from recent) = ${window.newest}::int` : sql`false`;
      const after = input.after
        ? sql`where (rank, created_at, id) < (${input.after.rank}::real, ${input.after.createdAt}::timestamptz, ${input.after.id}::uuid)`
        : sql``;
      const selectors = `StartSel=${markers.start}, StopSel=${markers.stop}`;
      const whole = `${selectors}, HighlightAll=true`;
      const fragments = `${selectors}, MaxFragments=3, MaxWords=18, MinWords=6, ShortWord=2, FragmentDelimiter=" … "`;
      const rows = await queryRows<Record<string, unknown>>(
        db,
        sql`
        with recent as (
          select m.id, m.room_id, m.seq, m.sender_agent_id, m.sender_user_id, m.created_at, m.search_vector
          from messages m
          where ${sql.join(conditions, sql` and `)}
          ${cut}
        ), matched as (
          select id, room_id, seq, sender_agent_id, sender_user_id, created_at,
                 ts_rank_cd(search_vector, ${query}) as rank
          from recent
        ), page as (
          select * from matched ${after} order by rank desc, created_at desc, id desc limit ${input.limit}::int
        ), edge as (
          select to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as oldest_created,
                 id as oldest_id
          from recent where ${full} order by created_at, id limit 1
        )
        select page.id, page.room_id, r.slug as room_slug, r.name as room_name, r.kind as room_kind, page.seq,
               page.sender_agent_id, page.sender_user_id, coalesce(a.display_name, a.name) as sender_agent_name,
               page.created_at, page.rank, page.rank::text as rank_text,
               to_char(page.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as created_exact,
               ts_headline('english', b.body, ${query},
                 case when length(b.body) <= ${WHOLE_BODY_CHARS}::int then ${whole}::text else ${fragments}::text end
               ) as headline,
               edge.oldest_created, edge.oldest_id
        from page
        join rooms r on r.id = page.room_id
        join messages b on b.id = page.id
        left join agents a on a.id = page.sender_agent_id
        left join edge on true
        order by page.rank desc, page.created_at desc, page.id desc`,
      );
      const edge = rows[0] as { oldest_created?: string | null; oldest_id?: string | null } | undefined;
      const oldest =
        edge?.oldest_created && edge.oldest_id ? { createdAt: edge.oldest_created, id: edge.oldest_id } : null;
      return { rows: rows.map(toSearchRow), oldest };
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
