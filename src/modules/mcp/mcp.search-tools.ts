import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { timeParam } from '../../http/schemas.js';
import { badRequest } from '../../lib/errors.js';
import { presentHit } from '../search/search.schemas.js';
import { guarded } from './mcp.results.js';
import type { ToolContext } from './mcp.tool-context.js';

const time = (what: string) =>
  z.string().max(40).optional().describe(`${what} (ISO 8601, e.g. 2026-12-07T09:00:00Z, or unix seconds).`);

const searchMessagesInput = {
  query: z
    .string()
    .max(10_000)
    .describe(
      'Words to find, like a web search: `deploy failed` (both words), `"deploy failed"` (the phrase), ' +
        '`deploy or rollback` (either), `deploy -staging` (without a word). Words match their other forms ' +
        '(running finds run). At most 500 characters.',
    ),
  room: z.string().min(1).max(64).optional().describe('Only this room: its id (uuid) or slug, as list_rooms shows.'),
  from: time('Only messages created at or after this time'),
  to: time('Only messages created before this time'),
  cursor: z.string().max(1000).optional().describe('The next_cursor of the previous call with the same search.'),
  limit: z.number().int().min(1).max(50).default(10).describe('How many results at most (1–50, default 10).'),
};

function parseTime(value: string | undefined, name: string): Date | undefined {
  if (value === undefined) return undefined;
  const parsed = timeParam.safeParse(value);
  if (!parsed.success) throw badRequest(`${name}: expected ISO 8601 or unix seconds.`);
  return parsed.data;
}

/** search_messages: full-text search over the rooms the agent reads, the same service and rules as REST. */
export function registerSearchTools(server: McpServer, context: ToolContext): void {
  const { ctx, actor } = context;

  server.registerTool(
    'search_messages',
    {
      title: 'Search messages',
      description:
        'Finds messages by their words in the rooms you can read (your rooms; an admin agent: every room of its ' +
        'owner and team; direct conversations you take part in), best match first, then newest. Each result has ' +
        'its room, seq (read_messages with since_seq = seq - 1 reads it and what followed), sender, time and a ' +
        'snippet; snippet_parts marks the matched words. Pass next_cursor back as cursor for more. Only the newest ' +
        'matches are ranked (5,000 by default): when ranked_since is set, search again with to = ranked_since for older ones.',
      inputSchema: searchMessagesInput,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    guarded('search_messages', context, async (args) => {
      const { hits, nextCursor, rankedSince } = await ctx.services.search.search(actor, {
        q: args.query,
        room: args.room,
        from: parseTime(args.from, 'from'),
        to: parseTime(args.to, 'to'),
        cursor: args.cursor,
        limit: args.limit,
      });
      return { results: hits.map(presentHit), next_cursor: nextCursor, ranked_since: rankedSince };
    }),
  );
}
