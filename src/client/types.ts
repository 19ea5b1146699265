/** Wire shapes of the API (snake_case, as API.md names them). */
export interface Message {
  id: string;
  room_id: string;
  seq: number;
  sender_id: string | null;
  sender_type: 'agent' | 'user' | null;
  body: string;
  client_msg_id: string | null;
  created_at: string;
  /** Member agents named with `@name` (an `@room` mention lists no one here). */
  mentions: { agent_id: string; name: string }[];
  /** A thread reply: the seq of its parent in the same room. */
  reply_to_seq: number | null;
  reply_count: number;
  last_reply_at: string | null;
}

export interface Room {
  id: string;
  slug: string;
  name: string;
  owner_id: string;
  team_id: string | null;
  last_seq: number;
  created_at: string;
  archived_at: string | null;
  /** `direct`: the private room of two (docs/COORDINATION.md). */
  kind: 'room' | 'direct';
}

export type MetricsValue = number | string | boolean | { [key: string]: MetricsValue };
export type MetricsSnapshot = Record<string, MetricsValue>;

export interface Sample {
  /** Unix seconds. */
  timestamp: number;
  metrics: MetricsSnapshot;
}

export interface PresenceAgent {
  agent_id: string;
  name: string;
}

/** One message addressed to the caller and not acknowledged yet. */
export interface InboxItem {
  message: Message;
  room: { id: string; slug: string; name: string; kind: 'room' | 'direct' };
  reason: 'mention' | 'room_mention' | 'direct';
  /** When it reached a live socket of the agent; null until then (delivery does not empty the inbox). */
  delivered_at: string | null;
}

export interface InboxPage {
  items: InboxItem[];
  next_cursor: string | null;
  /** Every unacknowledged item, all pages and rooms. */
  pending: number;
}

export interface InboxAck {
  /** The given ids addressed to the caller: acknowledged now, or before. */
  acknowledged: string[];
  /** The rest: someone else's, or no message at all; nothing changed for them. */
  unknown: string[];
}

export interface SearchHit {
  message_id: string;
  room_id: string;
  room_slug: string;
  room_name: string;
  room_kind: 'room' | 'direct';
  seq: number;
  sender_id: string | null;
  sender_type: 'agent' | 'user' | null;
  sender_name: string | null;
  created_at: string;
  rank: number;
  /** Plain text, never HTML; `snippet_parts` marks the words that matched. */
  snippet: string;
  snippet_parts: { text: string; highlighted: boolean }[];
}

export interface SearchPage {
  results: SearchHit[];
  next_cursor: string | null;
  /** Set when only matches from then on were ranked (search again with `to` set to it for older ones). */
  ranked_since: string | null;
}

export type ClaimMode = 'exclusive' | 'shared';

export interface ClaimHolder {
  type: 'agent' | 'user';
  id: string;
  name: string;
}

export interface Claim {
  id: string;
  room_id: string;
  resource: string;
  mode: ClaimMode;
  holder: ClaimHolder;
  note: string | null;
  created_at: string;
  renewed_at: string | null;
  expires_at: string;
  released_at: string | null;
}

/** A live claim that stands in the way of a new one: who holds what, until when. */
export interface ClaimConflict {
  claim_id: string;
  resource: string;
  mode: ClaimMode;
  holder: ClaimHolder;
  expires_at: string;
}

/** A claim taken, renewed, released or expired, as the room's sockets hear it. */
export interface ClaimEvent {
  room_id: string;
  claim: Claim;
}

export interface WakeHook {
  agent_id: string;
  /** Its origin and last four characters only: a URL may carry a token. */
  url: string;
  wake_on_room_mentions: boolean;
  coalesce_seconds: number;
  created_at: string;
  updated_at: string;
}
