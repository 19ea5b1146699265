import { and, asc, eq, gt, inArray, isNull, lte, sql } from 'drizzle-orm';
import { queryRows, type Db } from '../../db/client.js';
import { agents, roomClaims, users, type ClaimMode, type RoomClaimRow } from '../../db/schema/index.js';

export interface ClaimHolder {
  type: 'agent' | 'user';
  id: string;
  name: string;
}
export type ClaimWithHolder = RoomClaimRow & { holder: ClaimHolder };

/** What the database decided for a claim of an exact resource (drizzle/0005_claim_exact_resource.sql). */
export type ExactClaimOutcome =
  | { outcome: 'granted'; claim: RoomClaimRow }
  | { outcome: 'conflict'; held: ClaimWithHolder[] }
  | { outcome: 'full' }
  /** A live glob claim might overlap it: decide under the lock in JS (`underRoomLock`). */
  | { outcome: 'glob' };

export interface NewClaim {
  roomId: string;
  resource: string;
  mode: ClaimMode;
  holderAgentId: string | null;
  holderUserId: string | null;
  note: string | null;
  ttlSeconds: number;
}

/** Advisory-lock namespace of claims (the two-key form: its keys never meet the one-key locks of jobs). */
const CLAIMS_LOCK_SPACE = 0x43_4c_4d_53; // "CLMS"

/**
 * Every time is the database's clock (`clock_timestamp()`, read under the room's lock), so instances with
 * skewed clocks still agree on what is live: a claim counts until `expires_at`, checked in each query.
 */
const NOW = sql`clock_timestamp()`;
const expiresIn = (seconds: number) => sql`clock_timestamp() + make_interval(secs => ${seconds})`;

function queriesOver(db: Db) {
  const withHolders = (where: ReturnType<typeof and>) =>
    db
      .select({ claim: roomClaims, agentName: agents.name, userName: users.name })
      .from(roomClaims)
      .leftJoin(agents, eq(agents.id, roomClaims.holderAgentId))
      .leftJoin(users, eq(users.id, roomClaims.holderUserId))
      .where(where)
      .orderBy(asc(roomClaims.createdAt), asc(roomClaims.id));
  const live = and(isNull(roomClaims.releasedAt), gt(roomClaims.expiresAt, NOW));

  return {
    /** The room's live claims, oldest first. */
    active: async (roomId: string): Promise<ClaimWithHolder[]> =>
      (await withHolders(and(eq(roomClaims.roomId, roomId), live))).map(joined),

    find: async (roomId: string, claimId: string): Promise<ClaimWithHolder | undefined> =>
      (await withHolders(and(eq(roomClaims.roomId, roomId), eq(roomClaims.id, claimId)))).map(joined)[0],

    insert: async (claim: NewClaim): Promise<RoomClaimRow | undefined> =>
      (
        await db
          .insert(roomClaims)
          .values({
            roomId: claim.roomId,
            resource: claim.resource,
            mode: claim.mode,
            holderAgentId: claim.holderAgentId,
            holderUserId: claim.holderUserId,
            note: claim.note,
            createdAt: NOW,
            expiresAt: expiresIn(claim.ttlSeconds),
          })
          .returning()
      )[0],

    /** Moves a live claim's expiry to `ttlSeconds` from now; undefined when it is no longer live. */
    renew: async (roomId: string, claimId: string, ttlSeconds: number): Promise<RoomClaimRow | undefined> =>
      (
        await db
          .update(roomClaims)
          .set({ expiresAt: expiresIn(ttlSeconds), renewedAt: NOW })
          .where(and(eq(roomClaims.roomId, roomId), eq(roomClaims.id, claimId), live))
          .returning()
      )[0],

    /** Ends a live claim now; undefined when it had already ended. */
    release: async (roomId: string, claimId: string): Promise<RoomClaimRow | undefined> =>
      (
        await db
          .update(roomClaims)
          .set({ releasedAt: NOW })
          .where(and(eq(roomClaims.roomId, roomId), eq(roomClaims.id, claimId), live))
          .returning()
      )[0],

    /**
     * Marks up to `limit` expired claims as ended (released_at = expires_at, so an expiry stays told apart
     * from a release) and returns them. Rows another sweeper holds are skipped: each is announced once.
     */
    sweepExpired: async (limit: number): Promise<ClaimWithHolder[]> => {
      const due = db
        .select({ id: roomClaims.id })
        .from(roomClaims)
        .where(and(isNull(roomClaims.releasedAt), lte(roomClaims.expiresAt, NOW)))
        .limit(limit)
        .for('update', { skipLocked: true });
      const ended = await db
        .update(roomClaims)
        .set({ releasedAt: sql`${roomClaims.expiresAt}` })
        .where(and(inArray(roomClaims.id, due), isNull(roomClaims.releasedAt)))
        .returning({ id: roomClaims.id });
      if (ended.length === 0) return [];
      return (
        await withHolders(
          inArray(
            roomClaims.id,
            ended.map((r) => r.id),
          ),
        )
      ).map(joined);
    },
  };
}

function joined(row: { claim: RoomClaimRow; agentName: string | null; userName: string | null }): ClaimWithHolder {
  const { claim } = row;
  const holder: ClaimHolder = claim.holderAgentId
    ? { type: 'agent', id: claim.holderAgentId, name: row.agentName ?? '' }
    : { type: 'user', id: claim.holderUserId ?? '', name: row.userName ?? '' };
  return { ...claim, holder };
}

// A type, not an interface: queryRows wants a record.
type ExactClaimRow = {
  outcome: 'granted' | 'conflict' | 'full' | 'glob';
  id: string;
  room_id: string;
  resource: string;
  mode: ClaimMode;
  holder_agent_id: string | null;
  holder_user_id: string | null;
  note: string | null;
  created_at: Date | string;
  renewed_at: Date | string | null;
  expires_at: Date | string;
  released_at: Date | string | null;
  holder_name: string | null;
};

const asDate = (value: Date | string) => (value instanceof Date ? value : new Date(value));
const asDateOrNull = (value: Date | string | null) => (value === null ? null : asDate(value));

function claimRow(row: ExactClaimRow): RoomClaimRow {
  return {
    id: row.id,
    roomId: row.room_id,
    resource: row.resource,
    mode: row.mode,
    holderAgentId: row.holder_agent_id,
    holderUserId: row.holder_user_id,
    note: row.note,
    createdAt: asDate(row.created_at),
    renewedAt: asDateOrNull(row.renewed_at),
    expiresAt: asDate(row.expires_at),
    releasedAt: asDateOrNull(row.released_at),
  };
}

export function createClaimsRepository({ db }: { db: Db }) {
  return {
    ...queriesOver(db),
    /**
     * A claim of an exact resource (no wildcard), decided by the database in one statement under the room's
     * claims lock: granted, refused for the live claims holding it, refused for a full room, or handed back
     * ('glob') when a live glob claim might overlap it, which only `resourcesOverlap` can tell.
     */
    claimExact: async (claim: NewClaim, liveMax: number): Promise<ExactClaimOutcome> => {
      const rows = await queryRows<ExactClaimRow>(
        db,
        sql`select * from claim_exact_resource(${CLAIMS_LOCK_SPACE}::int, ${claim.roomId}::uuid, ${claim.resource}::text,
              ${claim.mode}::text, ${claim.holderAgentId}::uuid, ${claim.holderUserId}::uuid, ${claim.note}::text,
              ${claim.ttlSeconds}::int, ${liveMax}::int)`,
      );
      const first = rows[0];
      if (first?.outcome === 'granted') return { outcome: 'granted', claim: claimRow(first) };
      const outcome = first?.outcome;
      if (outcome === 'conflict')
        return {
          outcome,
          held: rows.map((row) =>
            joined({ claim: claimRow(row), agentName: row.holder_name, userName: row.holder_name }),
          ),
        };
      if (outcome === 'full' || outcome === 'glob') return { outcome };
      throw new Error('claim_exact_resource answered no outcome');
    },
    /**
     * Runs `work` in a transaction holding the room's claims lock (`pg_advisory_xact_lock`, released at
     * commit or rollback): every claim and renewal of one room is decided one after another, on any instance.
     */
    underRoomLock: <T>(roomId: string, work: (locked: ReturnType<typeof queriesOver>) => Promise<T>): Promise<T> =>
      db.transaction(async (tx) => {
        await tx.execute(sql`select pg_advisory_xact_lock(${CLAIMS_LOCK_SPACE}, hashtext(${roomId}))`);
        return work(queriesOver(tx));
      }),
  };
}

export type ClaimsRepository = ReturnType<typeof createClaimsRepository>;
