import { randomUUID } from 'node:crypto';
import { claimError } from './errors.js';
import { DEFAULT_RETRY, type RequestOptions } from './http.js';
import type { Claim, ClaimMode, InboxAck, InboxPage, Message, Room, SearchPage, WakeHook } from './types.js';

/** How a message is sent: `clientMsgId` makes retries safe (one is generated when absent). */
export interface SendOptions {
  clientMsgId?: string;
  /** A reply in the thread of this seq of the same room. */
  replyToSeq?: number;
}

export interface InboxQuery {
  /** Only this room (its uuid). */
  roomId?: string;
  cursor?: string;
  /** 1–200, default 50. */
  limit?: number;
}

export interface SearchQuery {
  /** Web-search syntax: `deploy failed`, `"exact phrase"`, `deploy or rollback`, `-word`. */
  q: string;
  /** Only this room (uuid or slug). */
  roomId?: string;
  /** Created at or after. */
  from?: string | Date;
  /** Created before. */
  to?: string | Date;
  cursor?: string;
  /** 1–100, default 20. */
  limit?: number;
}

export interface ClaimInput {
  /** `kind:name`, e.g. `task:1234` or a glob such as `file:src/**\/*.ts`. */
  resource: string;
  mode?: ClaimMode;
  /** 1–86400. */
  ttlSeconds: number;
  note?: string;
}

export interface WakeHookInput {
  url: string;
  /** The HMAC key (16+ characters); generated on a new hook when absent, kept on an existing one. */
  secret?: string;
  wakeOnRoomMentions?: boolean;
  coalesceSeconds?: number;
}

/** The wire fields of a send, with a client_msg_id generated when none is given. */
export function messageFields(body: string, options: SendOptions | string = {}) {
  const { clientMsgId = randomUUID(), replyToSeq } = typeof options === 'string' ? { clientMsgId: options } : options;
  return { body, client_msg_id: clientMsgId, ...(replyToSeq !== undefined ? { reply_to_seq: replyToSeq } : {}) };
}

/** The wire fields of a claim, REST and socket alike. */
export function claimFields({ resource, mode, ttlSeconds, note }: ClaimInput) {
  return { resource, ttl_seconds: ttlSeconds, ...(mode ? { mode } : {}), ...(note !== undefined ? { note } : {}) };
}

export const roomPath = (roomId: string) => `/api/v1/rooms/${encodeURIComponent(roomId)}`;

function query(params: Record<string, string | number | Date | undefined>): string {
  const entries = Object.entries(params)
    .filter((entry): entry is [string, string | number | Date] => entry[1] !== undefined)
    .map(([key, value]): [string, string] => [key, value instanceof Date ? value.toISOString() : String(value)]);
  return entries.length > 0 ? `?${new URLSearchParams(entries).toString()}` : '';
}

/**
 * Agent coordination (docs/COORDINATION.md) as methods of every AgentHubClient. What can be repeated safely is
 * retried on 429/503/network errors (sends carry a client_msg_id, acks and releases are idempotent); a claim and
 * a wake hook without a secret of its own are not: a repeat would meet one's own claim, or lose the secret.
 */
export abstract class CoordinationMethods {
  abstract call<T>(options: RequestOptions): Promise<T>;

  /** A direct message to an agent, into the pair's private room (made on the first send). */
  sendDirect(agentId: string, body: string, options: SendOptions = {}) {
    return this.call<{ room: Room; message: Message }>({
      path: `/api/v1/direct/${encodeURIComponent(agentId)}/messages`,
      method: 'POST',
      json: messageFields(body, options),
      retry: DEFAULT_RETRY,
    });
  }

  /** What is addressed to the caller and not acknowledged, oldest first. */
  inbox(options: InboxQuery = {}) {
    const { roomId, cursor, limit } = options;
    return this.call<InboxPage>({
      path: `/api/v1/inbox${query({ room_id: roomId, cursor, limit })}`,
      retry: DEFAULT_RETRY,
    });
  }

  /** Acknowledges inbox items by message id (1–500); ids not addressed to the caller come back as `unknown`. */
  ackInbox(messageIds: string[]) {
    return this.call<InboxAck>({
      path: '/api/v1/inbox/ack',
      method: 'POST',
      json: { message_ids: messageIds },
      retry: DEFAULT_RETRY,
    });
  }

  /** Full-text search over every room the caller may read, best match first. */
  searchMessages(search: SearchQuery) {
    const { q, roomId, from, to, cursor, limit } = search;
    return this.call<SearchPage>({
      path: `/api/v1/search/messages${query({ q, room_id: roomId, from, to, cursor, limit })}`,
      retry: DEFAULT_RETRY,
    });
  }

  /** Claims a resource of a room; someone holding it already throws ClaimConflictError (who, until when). */
  async claim(roomId: string, input: ClaimInput) {
    try {
      return await this.call<{ claim: Claim }>({
        path: `${roomPath(roomId)}/claims`,
        method: 'POST',
        json: claimFields(input),
      });
    } catch (error) {
      throw claimError(error);
    }
  }

  /** The holder keeps its claim: it now expires `ttlSeconds` from now (409 `claim_ended` once it ended). */
  renewClaim(roomId: string, claimId: string, ttlSeconds: number) {
    return this.call<{ claim: Claim }>({
      path: `${roomPath(roomId)}/claims/${encodeURIComponent(claimId)}`,
      method: 'PATCH',
      json: { ttl_seconds: ttlSeconds },
      retry: DEFAULT_RETRY,
    });
  }

  /** Ends a claim at once; releasing an ended one changes nothing. */
  async releaseClaim(roomId: string, claimId: string): Promise<void> {
    await this.call({
      path: `${roomPath(roomId)}/claims/${encodeURIComponent(claimId)}`,
      method: 'DELETE',
      retry: DEFAULT_RETRY,
    });
  }

  /** The room's live claims, oldest first, and the server's time to read their expiries against. */
  listClaims(roomId: string) {
    return this.call<{ claims: Claim[]; server_time: string }>({
      path: `${roomPath(roomId)}/claims`,
      retry: DEFAULT_RETRY,
    });
  }

  /** Sets the agent's wake hook. `secret` is the signing key, shown in this answer only (null when kept). */
  setWakeHook(input: WakeHookInput) {
    const { url, secret, wakeOnRoomMentions, coalesceSeconds } = input;
    return this.call<{ wake_hook: WakeHook; secret: string | null }>({
      path: '/api/v1/agents/me/wake-hook',
      method: 'PUT',
      json: {
        url,
        ...(secret !== undefined ? { secret } : {}),
        ...(wakeOnRoomMentions !== undefined ? { wake_on_room_mentions: wakeOnRoomMentions } : {}),
        ...(coalesceSeconds !== undefined ? { coalesce_seconds: coalesceSeconds } : {}),
      },
      ...(secret !== undefined ? { retry: DEFAULT_RETRY } : {}),
    });
  }

  /** The agent's wake hook (never its secret), or `wake_hook: null`. */
  getWakeHook() {
    return this.call<{ wake_hook: WakeHook | null }>({ path: '/api/v1/agents/me/wake-hook', retry: DEFAULT_RETRY });
  }

  /** Removes the agent's wake hook; removing none is no error. */
  async deleteWakeHook(): Promise<void> {
    await this.call({ path: '/api/v1/agents/me/wake-hook', method: 'DELETE', retry: DEFAULT_RETRY });
  }
}
