import { and, desc, eq, isNull, or, sql } from 'drizzle-orm';
import { queryRows, type Db } from '../db/client.js';
import { agents, credentials, users, type CredentialRow } from '../db/schema/index.js';

/** A disabled person's agents are suspended: their credentials stop working until the person is enabled. */
const ownerDisabled = sql<boolean>`${users.disabledAt} is not null`;

export type NewCredential = typeof credentials.$inferInsert;

export function createCredentialsRepository({ db }: { db: Db }) {
  return {
    insert: async (row: NewCredential): Promise<CredentialRow | undefined> =>
      (await db.insert(credentials).values(row).returning())[0],

    /** Undefined when a credential with this prefix already exists. */
    insertIfAbsent: async (row: NewCredential): Promise<CredentialRow | undefined> =>
      (await db.insert(credentials).values(row).onConflictDoNothing({ target: credentials.prefix }).returning())[0],

    /** A credential with its agent, by its public prefix. */
    findByPrefix: async (prefix: string) =>
      (
        await db
          .select({ credential: credentials, agent: agents, ownerDisabled })
          .from(credentials)
          .innerJoin(agents, eq(agents.id, credentials.agentId))
          .innerJoin(users, eq(users.id, agents.ownerId))
          .where(eq(credentials.prefix, prefix))
      )[0],

    /** What an access token's validity and identity depend on: its credential, its agent and the agent's owner. */
    findStatus: async (credentialId: string) =>
      (
        await db
          .select({
            agentId: credentials.agentId,
            agent: {
              id: agents.id,
              name: agents.name,
              ownerId: agents.ownerId,
              teamId: agents.teamId,
              serverId: agents.serverId,
              role: agents.role,
            },
            revokedAt: credentials.revokedAt,
            revokedReason: credentials.revokedReason,
            agentStatus: agents.status,
            ownerDisabled,
          })
          .from(credentials)
          .innerJoin(agents, eq(agents.id, credentials.agentId))
          .innerJoin(users, eq(users.id, agents.ownerId))
          .where(eq(credentials.id, credentialId))
      )[0],

    /** The counter every change to a credential check's answer moves (migration 0003, credentialStatus). */
    validityEpoch: async (): Promise<string> => {
      const [row] = await queryRows<{ value: string | number }>(
        db,
        sql`select value from credential_validity_epoch where id = 1`,
      );
      return String(row?.value ?? '');
    },

    listForAgent: (agentId: string) =>
      db.select().from(credentials).where(eq(credentials.agentId, agentId)).orderBy(desc(credentials.createdAt)),

    touch: (id: string, now: Date) => db.update(credentials).set({ lastUsedAt: now }).where(eq(credentials.id, id)),

    revoke: async (id: string, reason: string, now: Date) =>
      (
        await db
          .update(credentials)
          .set({ revokedAt: now, revokedReason: reason })
          .where(and(eq(credentials.id, id), isNull(credentials.revokedAt)))
          .returning({ id: credentials.id })
      ).length > 0,

    /** Revokes a whole family, overwriting 'rotated' so access tokens from older members stop too. */
    revokeFamily: (familyId: string, reason: string, now: Date) =>
      db
        .update(credentials)
        .set({ revokedAt: now, revokedReason: reason })
        .where(
          and(
            eq(credentials.familyId, familyId),
            or(isNull(credentials.revokedAt), eq(credentials.revokedReason, 'rotated')),
          ),
        )
        .returning({ id: credentials.id }),

    revokeAllForAgent: async (agentId: string, reason: string, now: Date) =>
      db
        .update(credentials)
        .set({ revokedAt: now, revokedReason: reason })
        .where(
          and(
            eq(credentials.agentId, agentId),
            or(isNull(credentials.revokedAt), eq(credentials.revokedReason, 'rotated')),
          ),
        )
        .returning({ id: credentials.id }),
  };
}

export type CredentialsRepository = ReturnType<typeof createCredentialsRepository>;
