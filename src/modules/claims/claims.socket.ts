import { z } from 'zod';
import { subscribe } from '../../lib/events.js';
import { roomChannel, type Ack, type AgentSocket } from '../../realtime/socket-events.js';
import type { SocketFeature } from '../../realtime/socket-feature.js';
import { handleEvent } from '../../realtime/socket-handler.js';
import { AppError } from '../../lib/errors.js';
import { notInRoom } from '../rooms/rooms.errors.js';
import { claimMode, note, presentClaim, resource, ttlSeconds } from './claims.schemas.js';

const claimPayload = z.strictObject({
  room_id: z.uuid(),
  resource,
  mode: claimMode.default('exclusive'),
  ttl_seconds: ttlSeconds,
  note: note.optional(),
});
const renewPayload = z.strictObject({ room_id: z.uuid(), claim_id: z.uuid(), ttl_seconds: ttlSeconds });
const releasePayload = z.strictObject({ room_id: z.uuid(), claim_id: z.uuid() });
const listPayload = z.strictObject({ room_id: z.uuid() });

/** A refused claim acks as the REST 409 answers: the code, the message and who holds what. */
function conflictAck(error: unknown, ack: Ack | undefined): boolean {
  if (!(error instanceof AppError) || error.code !== 'claim_conflict') return false;
  ack?.({ ok: false, error: error.code, message: error.message, conflicts: error.fields['conflicts'] });
  return true;
}

/**
 * Claims over socket.io: `claim`, `claim:renew`, `claim:release`, `claims:list` (the claims service's rules,
 * as over REST), and the room's `claim:created|renewed|released|expired` events for every member socket.
 */
export const claimSockets: SocketFeature = (nsp, ctx) => {
  const { claims, rooms } = ctx.services;

  /** Sockets go by room membership alone (as room:join): a non-member hears `forbidden`, room or no room. */
  async function ensureMember(socket: AgentSocket, roomId: string): Promise<void> {
    if (!socket.data.rooms.has(roomId) && !(await rooms.isMember(roomId, socket.data.actor.agent.id)))
      throw notInRoom();
  }

  nsp.on('connection', (socket) => {
    handleEvent(socket, 'claim', ctx, async (payload, ack) => {
      const input = claimPayload.parse(payload);
      await ensureMember(socket, input.room_id);
      try {
        const { claim } = await claims.claim(socket.data.actor, input.room_id, {
          resource: input.resource,
          mode: input.mode,
          ttlSeconds: input.ttl_seconds,
          note: input.note,
        });
        ack?.({ ok: true, claim: presentClaim(claim) });
      } catch (error) {
        if (!conflictAck(error, ack)) throw error;
      }
    });

    handleEvent(socket, 'claim:renew', ctx, async (payload, ack) => {
      const input = renewPayload.parse(payload);
      await ensureMember(socket, input.room_id);
      const { claim } = await claims.renew(socket.data.actor, input.room_id, input.claim_id, input.ttl_seconds);
      ack?.({ ok: true, claim: presentClaim(claim) });
    });

    handleEvent(socket, 'claim:release', ctx, async (payload, ack) => {
      const input = releasePayload.parse(payload);
      await ensureMember(socket, input.room_id);
      const { claim, released } = await claims.release(socket.data.actor, input.room_id, input.claim_id);
      ack?.({ ok: true, claim: presentClaim(claim), released });
    });

    handleEvent(socket, 'claims:list', ctx, async (payload, ack) => {
      const input = listPayload.parse(payload);
      await ensureMember(socket, input.room_id);
      const { claims: live } = await claims.list(socket.data.actor, input.room_id);
      ack?.({ ok: true, claims: live.map(presentClaim), server_time: new Date().toISOString() });
    });
  });

  // Local only: with Redis, the event fan-out replays every instance's claim changes here (rooms.socket.ts).
  return subscribe(ctx.events, {
    'claim.changed': ({ roomId, change, claim }) =>
      nsp.local.to(roomChannel(roomId)).emit(`claim:${change}`, { room_id: roomId, claim }),
  });
};
