import { z } from 'zod';
import { timeParam } from '../../http/schemas.js';
import type { SearchHit } from './search.service.js';

export const SEARCH_PAGE_MAX = 100;

export const searchQuery = z.object({
  q: z
    .string()
    .default('')
    .describe('Words to find, in web-search syntax: `deploy failed`, `"exact phrase"`, `deploy or rollback`, `-word`.'),
  room_id: z.string().min(1).max(64).optional().describe('Only this room (its uuid or slug).'),
  from: timeParam.optional().describe('Messages created at or after (ISO 8601 or unix seconds).'),
  to: timeParam.optional().describe('Messages created before (ISO 8601 or unix seconds).'),
  cursor: z.string().max(1000).optional().describe('The next_cursor of the previous page of this search.'),
  limit: z.coerce.number().int().min(1).max(SEARCH_PAGE_MAX).default(20),
});

const snippetPart = z.object({ text: z.string(), highlighted: z.boolean() });

export const searchHitSchema = z.object({
  message_id: z.string(),
  room_id: z.string(),
  room_slug: z.string(),
  room_name: z.string(),
  room_kind: z.enum(['room', 'direct']),
  seq: z.number(),
  sender_id: z.string().nullable(),
  sender_type: z.enum(['agent', 'user']).nullable(),
  sender_name: z.string().nullable(),
  created_at: z.string(),
  rank: z.number(),
  snippet: z.string(),
  snippet_parts: z.array(snippetPart),
});

export const searchPageSchema = z.object({
  results: z.array(searchHitSchema),
  next_cursor: z.string().nullable(),
  ranked_since: z
    .string()
    .nullable()
    .describe('Set when the search matched more messages than it ranks: only matches from then on were ranked.'),
});

export type SearchHitPayload = z.infer<typeof searchHitSchema>;

export function presentHit(hit: SearchHit): SearchHitPayload {
  return {
    message_id: hit.id,
    room_id: hit.roomId,
    room_slug: hit.roomSlug,
    room_name: hit.roomName,
    room_kind: hit.roomKind === 'direct' ? 'direct' : 'room',
    seq: hit.seq,
    sender_id: hit.senderAgentId ?? hit.senderUserId,
    sender_type: hit.senderAgentId ? 'agent' : hit.senderUserId ? 'user' : null,
    sender_name: hit.senderAgentId ? hit.senderAgentName : null,
    created_at: hit.createdAt.toISOString(),
    rank: hit.rank,
    snippet: hit.snippet,
    snippet_parts: hit.parts,
  };
}
