import type { Actor } from '../../identity/actor.model.js';
import { authorize } from '../../identity/access.policy.js';
import type { AppEventBus } from '../../lib/events.js';
import type { Metrics } from '../../observability/metrics.js';
import { roomArchived } from '../rooms/rooms.errors.js';
import { roomResource, type RoomsService } from '../rooms/rooms.service.js';
import { isGlob, resourcesOverlap } from './claim-resources.js';
import {
  claimConflict,
  claimEnded,
  claimNotFound,
  mayNotRelease,
  notTheHolder,
  tooManyClaims,
} from './claims.errors.js';
import type { ClaimHolder, ClaimsRepository, ClaimWithHolder, NewClaim } from './claims.repository.js';
import { presentClaim, presentConflict } from './claims.schemas.js';
import type { ClaimMode } from '../../db/schema/index.js';

interface Deps {
  repository: ClaimsRepository;
  rooms: Pick<RoomsService, 'load' | 'loadToPost'>;
  events: AppEventBus;
  metrics: Pick<Metrics, 'claims'>;
}

/** Live claims one room may hold at once: every claim is checked against all of them under the room's lock. */
export const ROOM_LIVE_CLAIMS_MAX = 500;
/** Expired claims one sweep announces at most (the next sweep takes the rest). */
const SWEEP_BATCH = 500;

export interface ClaimInput {
  resource: string;
  mode: ClaimMode;
  ttlSeconds: number;
  note?: string | undefined;
}

type Outcome = { held: ClaimWithHolder[] } | { claim: ClaimWithHolder };

/** Whether two claims may not both be live: they overlap and at least one is exclusive. */
export function conflicts(a: { resource: string; mode: ClaimMode }, b: { resource: string; mode: ClaimMode }) {
  return (a.mode === 'exclusive' || b.mode === 'exclusive') && resourcesOverlap(a.resource, b.resource);
}

function holderOf(actor: Actor): ClaimHolder {
  return actor.kind === 'user'
    ? { type: 'user', id: actor.user.id, name: actor.user.name }
    : { type: 'agent', id: actor.agent.id, name: actor.agent.name };
}

const holds = (actor: Actor, claim: ClaimWithHolder) => {
  const me = holderOf(actor);
  return claim.holder.type === me.type && claim.holder.id === me.id;
};

/**
 * Claims: a room's named resources held until they expire or are released. The database arbitrates:
 * a claim is decided in a transaction holding the room's advisory lock, against the live claims it reads
 * there, so two instances racing for one resource never both win (docs/adr/0019).
 */
export function createClaimsService({ repository, rooms, events, metrics }: Deps) {
  // Bound up front, so /metrics shows both outcomes from the start (at 0).
  const granted = metrics.claims.labels('granted');
  const refused = metrics.claims.labels('conflict');
  granted.inc(0);
  refused.inc(0);
  const announce = (change: 'created' | 'renewed' | 'released' | 'expired', claim: ClaimWithHolder) =>
    events.emit('claim.changed', { roomId: claim.roomId, change, claim: presentClaim(claim) });

  /** An exact resource, decided in one statement; undefined when a live glob claim leaves it to JS. */
  async function decidedBySql(claim: NewClaim, holder: ClaimHolder): Promise<Outcome | undefined> {
    if (isGlob(claim.resource)) return undefined;
    const decided = await repository.claimExact(claim, ROOM_LIVE_CLAIMS_MAX);
    switch (decided.outcome) {
      case 'granted':
        return { claim: { ...decided.claim, holder } };
      case 'conflict':
        return { held: decided.held };
      case 'full':
        throw tooManyClaims(undefined, { limit: ROOM_LIVE_CLAIMS_MAX });
      case 'glob':
        return undefined;
    }
  }

  /** Any resource, globs included: the room's live claims read under its lock and compared here. */
  function decidedInJs(claim: NewClaim, holder: ClaimHolder): Promise<Outcome> {
    return repository.underRoomLock(claim.roomId, async (locked): Promise<Outcome> => {
      const live = await locked.active(claim.roomId);
      const held = live.filter((c) => conflicts(c, claim));
      if (held.length > 0) return { held };
      if (live.length >= ROOM_LIVE_CLAIMS_MAX) throw tooManyClaims(undefined, { limit: ROOM_LIVE_CLAIMS_MAX });
      const row = await locked.insert(claim);
      if (!row) throw new Error('the claim insert returned no row');
      return { claim: { ...row, holder } };
    });
  }

  return {
    /**
     * Anyone who may post in the room may claim in it (agents: its members). An exact resource is decided by
     * the database in one statement (the common case: one round trip), a glob by `resourcesOverlap` under the
     * same lock.
     */
    async claim(actor: Actor, roomRef: string, input: ClaimInput): Promise<{ claim: ClaimWithHolder }> {
      const room = await rooms.loadToPost(roomRef, actor);
      if (room.archivedAt) throw roomArchived();
      const holder = holderOf(actor);
      const claim: NewClaim = {
        roomId: room.id,
        resource: input.resource,
        mode: input.mode,
        holderAgentId: holder.type === 'agent' ? holder.id : null,
        holderUserId: holder.type === 'user' ? holder.id : null,
        note: input.note ?? null,
        ttlSeconds: input.ttlSeconds,
      };
      const outcome = (await decidedBySql(claim, holder)) ?? (await decidedInJs(claim, holder));
      if ('held' in outcome) {
        refused.inc();
        const first = outcome.held[0];
        throw claimConflict(
          first
            ? `${input.resource} overlaps ${first.resource}, held ${first.mode === 'exclusive' ? 'exclusively' : 'shared'} by ${first.holder.type} ${first.holder.name} (${first.holder.id}) until ${first.expiresAt.toISOString()}.`
            : undefined,
          { conflicts: outcome.held.map(presentConflict) },
        );
      }
      granted.inc();
      announce('created', outcome.claim);
      return outcome;
    },

    /** The holder moves a live claim's expiry to ttl seconds from now. */
    async renew(actor: Actor, roomRef: string, claimId: string, ttlSeconds: number) {
      const room = await rooms.load(roomRef, actor);
      const found = await repository.find(room.id, claimId);
      if (!found) throw claimNotFound();
      if (!holds(actor, found)) throw notTheHolder();
      // Under the lock: a renewal racing a new claim for the resource it is about to free is ordered with it.
      const row = await repository.underRoomLock(room.id, (locked) => locked.renew(room.id, claimId, ttlSeconds));
      if (!row) throw claimEnded();
      const claim = { ...row, holder: found.holder };
      announce('renewed', claim);
      return { claim };
    },

    /** The holder, or someone who may manage the room, ends a claim. Ending an ended claim changes nothing. */
    async release(actor: Actor, roomRef: string, claimId: string) {
      const room = await rooms.load(roomRef, actor);
      const found = await repository.find(room.id, claimId);
      if (!found) throw claimNotFound();
      if (!holds(actor, found) && !authorize(actor, 'manage', roomResource(room))) throw mayNotRelease();
      const row = await repository.release(room.id, claimId);
      const claim = { ...(row ?? found), holder: found.holder };
      if (row) announce('released', claim);
      return { claim, released: row !== undefined };
    },

    /** The room's live claims, for anyone who may read the room. */
    async list(actor: Actor, roomRef: string) {
      const room = await rooms.load(roomRef, actor);
      return { room, claims: await repository.active(room.id) };
    },

    /** Live claims of a room already authorized (pages and streams that loaded it). */
    liveIn: (roomId: string) => repository.active(roomId),

    /** Ends the claims whose time is up and tells their rooms; safe on every instance at once. */
    async sweep(): Promise<number> {
      const ended = await repository.sweepExpired(SWEEP_BATCH);
      for (const claim of ended) announce('expired', claim);
      return ended.length;
    },
  };
}

export type ClaimsService = ReturnType<typeof createClaimsService>;
