import type { Namespace, Socket } from 'socket.io';
import type { AgentActor } from '../identity/actor.model.js';
import type { ClaimPayload } from '../modules/claims/claims.schemas.js';
import type { MessagePayload } from '../modules/rooms/rooms.schemas.js';

export interface PresenceAgent {
  agent_id: string;
  name: string;
}

/** The one ack envelope: `{ok: true, ...}` or `{ok: false, error, message?, details?}`. */
export type AckResponse =
  | ({ ok: true } & Record<string, unknown>)
  | { ok: false; error: string; message?: string; details?: unknown; limit?: number; conflicts?: unknown };
export type Ack = (response: AckResponse) => void;

/** Every event a client may send on /agents: the type below derives from it, the tests walk it. */
export const CLIENT_EVENTS = [
  'room:join',
  'room:leave',
  'message:send',
  'dm:send',
  'inbox:ack',
  'auth:refresh',
  'claim',
  'claim:renew',
  'claim:release',
  'claims:list',
] as const;
export type ClientEvent = (typeof CLIENT_EVENTS)[number];

/**
 * Events a client sends on /agents. Payloads are `unknown` on purpose: each is
 * validated with Zod in its handler (types are not validation). Acks:
 * - room:join `{room_id, since_seq?}` → `{ok, presence, missed, recovered, last_seq}`
 * - room:leave `{room_id}` → `{ok}`
 * - message:send `{room_id, body, client_msg_id?, reply_to_seq?}` → `{ok, message, duplicate}`
 * - dm:send `{agent_id, body, client_msg_id?, reply_to_seq?}` → `{ok, room, message, duplicate}`
 * - inbox:ack `{message_ids}` → `{ok, acknowledged, unknown}`
 * - auth:refresh `{token}` → `{ok, expires_at}`
 * - claim `{room_id, resource, mode?, ttl_seconds, note?}` → `{ok, claim}`, or `{ok: false, error: 'claim_conflict',
 *   message, conflicts}` naming who holds what until when
 * - claim:renew `{room_id, claim_id, ttl_seconds}` → `{ok, claim}` · claim:release `{room_id, claim_id}` →
 *   `{ok, claim, released}` · claims:list `{room_id}` → `{ok, claims, server_time}`
 */
export type ClientToServerEvents = Record<ClientEvent, (payload: unknown, ack?: Ack) => void>;

export interface ServerToClientEvents {
  connected: (payload: { agent_id: string; rooms: { id: string; slug: string; last_seq: number }[] }) => void;
  'message:new': (payload: MessagePayload) => void;
  /** On connect: how many unacknowledged items are addressed to the agent (GET /api/v1/inbox lists them). */
  'inbox:pending': (payload: { pending: number }) => void;
  'presence:update': (payload: { room_id: string; joined: PresenceAgent[]; left: PresenceAgent[] }) => void;
  error: (payload: { error: string; message: string }) => void;
  'claim:created': (payload: ClaimEvent) => void;
  'claim:renewed': (payload: ClaimEvent) => void;
  'claim:released': (payload: ClaimEvent) => void;
  'claim:expired': (payload: ClaimEvent) => void;
}

/** A claim of a room changed: every member socket of the room hears it. */
export interface ClaimEvent {
  room_id: string;
  claim: ClaimPayload;
}

export interface SocketData {
  /** The authenticated agent; replaced on auth:refresh. */
  actor: AgentActor;
  /** Rooms this socket is joined to (membership verified). */
  rooms: Set<string>;
}

export const roomChannel = (roomId: string) => `room:${roomId}`;
export const agentChannel = (agentId: string) => `agent:${agentId}`;
export const credentialChannel = (credentialId: string) => `cred:${credentialId}`;

type NoEvents = Record<string, never>;
export type AgentNamespace = Namespace<ClientToServerEvents, ServerToClientEvents, NoEvents, SocketData>;
export type AgentSocket = Socket<ClientToServerEvents, ServerToClientEvents, NoEvents, SocketData>;
