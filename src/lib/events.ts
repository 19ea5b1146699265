import { EventEmitter } from 'node:events';
import type { MessageRow, RecipientReason } from '../db/schema/index.js';
import type { ClaimPayload } from '../modules/claims/claims.schemas.js';

/** An agent a message names with `@name`. */
export interface MessageMention {
  agentId: string;
  name: string;
}

/** A stored message as features pass it on: its row and, when known, the agents it mentions. */
export type StoredMessage = MessageRow & { mentions?: MessageMention[] | undefined };

/** Who a stored message is addressed to (message_recipients rows). */
export interface MessageRecipientRef {
  agentId: string | null;
  userId: string | null;
  reason: RecipientReason;
}

/** In-process signals between features (the scale-out work fans them out over Redis). */
export interface AppEvents {
  /** An agent's credentials stopped working (deactivated, revoked, replaced): drop its sockets. */
  'agent.revoked': [{ agentId: string; reason: string }];
  /** One credential was revoked: forget cached checks of it. */
  'credential.revoked': [{ credentialId: string }];
  /** A message was stored: broadcast it to the room; `recipients` are whom it addresses (mentions, DMs). */
  'message.created': [{ message: StoredMessage; recipients?: MessageRecipientRef[] | undefined }];
  /** Room membership changed: move live sockets in or out of the room. */
  'room.member_added': [{ roomId: string; agentId: string }];
  'room.member_removed': [{ roomId: string; agentId: string }];
  'room.archived': [{ roomId: string }];
  /** A claim of the room was taken, renewed, released or expired: tell the room (sockets, pages). As on the wire. */
  'claim.changed': [{ roomId: string; change: 'created' | 'renewed' | 'released' | 'expired'; claim: ClaimPayload }];
  /** An agent identity was created (device approved, or made by an admin): live dashboards add it. */
  'agent.linked': [{ agentId: string; ownerId: string; teamId: string | null }];
  /** These agents' last_seen_at moved (metrics were stored): live dashboards show them online. */
  'agent.seen': [{ agentIds: string[] }];
  /** Alerts about these agents changed state or were acknowledged: live dashboards update their badges. */
  'alerts.changed': [{ agentIds: string[] }];
}

export class AppEventBus extends EventEmitter<AppEvents> {}

type Handlers = { [E in keyof AppEvents]?: (...args: AppEvents[E]) => void };

/** Subscribes a feature's listeners at once; the returned function removes them all (on close). */
export function subscribe(events: AppEventBus, handlers: Handlers): () => void {
  const entries = Object.entries(handlers) as [keyof AppEvents, (...args: never[]) => void][];
  for (const [event, handler] of entries) events.on(event, handler as never);
  return () => {
    for (const [event, handler] of entries) events.off(event, handler as never);
  };
}
