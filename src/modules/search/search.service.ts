import type { Actor } from '../../identity/actor.model.js';
import { roomNotFound } from '../rooms/rooms.errors.js';
import type { RoomsService } from '../rooms/rooms.service.js';
import { decodeCursor, encodeCursor, searchKey } from './search.cursor.js';
import { searchErrors } from './search.errors.js';
import type { RankWindow, ReadScope, SearchRepository, SearchRooms, SearchRow } from './search.repository.js';
import { newMarkers, splitHeadline, type SnippetPart } from './search.snippets.js';

/** Longest q, in UTF-16 code units (what a browser's maxlength counts): far beyond any real search, short enough that parsing it costs nothing. */
export const QUERY_MAX_CHARS = 500;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface SearchRequest {
  q: string;
  /** A room's uuid or slug. */
  room?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  cursor?: string | undefined;
  limit: number;
}

export type SearchHit = Omit<SearchRow, 'headline' | 'position'> & { snippet: string; parts: SnippetPart[] };

interface Deps {
  repository: SearchRepository;
  rooms: Pick<RoomsService, 'load'>;
  /** Most matches one search ranks: its newest (SEARCH_RANK_WINDOW). */
  rankWindow: number;
}

export interface SearchPage {
  hits: SearchHit[];
  nextCursor: string | null;
  /**
   * When the search had more matches than it ranks: the millisecond after the oldest message ranked (older matches
   * were left out; `to` set to it searches them). Null when every match was ranked.
   */
  rankedSince: string | null;
}

/** The rooms an actor reads, as rooms.service `list` and `canRead` decide (direct rooms: participants only). */
export function scopeOf(actor: Actor): ReadScope {
  if (actor.kind === 'user')
    return {
      kind: 'user',
      userId: actor.user.id,
      everyRoom: actor.user.role === 'admin',
      teamIds: [...actor.teams.keys()],
    };
  const { agent } = actor;
  return {
    kind: 'agent',
    agentId: agent.id,
    tenant: agent.role === 'admin' ? { ownerId: agent.ownerId, teamId: agent.teamId } : null,
  };
}

/** The checks that need no database: what q, the range and the cursor must be. */
function checkInput(input: SearchRequest): { q: string; key: string } {
  if (input.q.includes('\u0000')) throw searchErrors.invalidQueryText();
  const q = input.q.trim();
  if (!q) throw searchErrors.emptyQuery();
  if (q.length > QUERY_MAX_CHARS) throw searchErrors.queryTooLong(QUERY_MAX_CHARS);
  if (input.from && input.to && input.from >= input.to) throw searchErrors.invalidRange();
  const key = searchKey({ q, room: input.room, from: input.from?.toISOString(), to: input.to?.toISOString() });
  return { q, key };
}

/** The millisecond after a microsecond timestamp's own: `to` set to it leaves out no match older than the edge. */
function theMillisecondAfter(exact: string): string {
  return new Date(Date.parse(exact) + 1).toISOString();
}

export function createSearchService({ repository, rooms, rankWindow }: Deps) {
  /** The rooms to search: the one asked for (404 unless the actor reads it), or every room the actor reads. */
  async function roomsToSearch(actor: Actor, scope: ReadScope, ref: string | undefined): Promise<SearchRooms> {
    if (ref === undefined) {
      // A server admin reads every room: the query names the rule instead of listing them all.
      if (scope.kind === 'user' && scope.everyRoom) return { scope };
      return { ids: await repository.readableRoomIds(scope) };
    }
    const id = UUID.test(ref) ? ref.toLowerCase() : (await rooms.load(ref, actor)).id;
    const ids = await repository.readableRoomIds(scope, id);
    if (ids.length === 0) throw roomNotFound();
    return { ids };
  }

  return {
    /**
     * Ranked matches among the messages the actor may read, best first, then newest first: the newest `rankWindow`
     * matches, fixed by the first page for the pages after it (its cursor carries the window's oldest message).
     */
    async search(actor: Actor, input: SearchRequest): Promise<SearchPage> {
      const { q, key } = checkInput(input);
      const cursor = input.cursor !== undefined ? decodeCursor(input.cursor, key) : undefined;
      const scope = scopeOf(actor);
      const searched = await roomsToSearch(actor, scope, input.room);
      const parsed = await repository.inspectQuery(q);
      if (parsed.nodes === 0) throw searchErrors.queryWithoutTerms();
      if (parsed.tree === 'T') throw searchErrors.queryOnlyExcludes();
      if ('ids' in searched && searched.ids.length === 0) return { hits: [], nextCursor: null, rankedSince: null };
      const markers = newMarkers();
      const window: RankWindow = cursor?.window ?? { newest: rankWindow };
      const result = await repository.search({
        rooms: searched,
        window,
        q,
        from: input.from,
        to: input.to,
        after: cursor?.position,
        limit: input.limit + 1,
        markers,
      });
      const oldest = 'oldest' in window ? window.oldest : result.oldest;
      const page = result.rows.slice(0, input.limit);
      const last = page.at(-1);
      return {
        hits: page.map(({ headline, position: _position, ...row }) => {
          const { snippet, parts } = splitHeadline(headline, markers);
          return { ...row, snippet, parts };
        }),
        nextCursor:
          result.rows.length > input.limit && last
            ? encodeCursor({ position: last.position, window: { oldest } }, key)
            : null,
        rankedSince: oldest ? theMillisecondAfter(oldest.createdAt) : null,
      };
    },
  };
}

export type SearchService = ReturnType<typeof createSearchService>;
