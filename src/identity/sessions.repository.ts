import { and, eq, gt, isNull, lt, or } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { loginTokens, userSessions, users } from '../db/schema/index.js';

export function createSessionsRepository({ db }: { db: Db }) {
  return {
    insertSession: async (row: typeof userSessions.$inferInsert) =>
      (await db.insert(userSessions).values(row).returning({ id: userSessions.id }))[0],

    /** The live session for a token hash, with its user. */
    async findLiveSession(tokenHash: string, now: Date) {
      const [row] = await db
        .select({ session: userSessions, user: users })
        .from(userSessions)
        .innerJoin(users, eq(users.id, userSessions.userId))
        .where(
          and(eq(userSessions.tokenHash, tokenHash), isNull(userSessions.revokedAt), gt(userSessions.expiresAt, now)),
        );
      return row;
    },

    touchSession: (id: string, now: Date) =>
      db.update(userSessions).set({ lastSeenAt: now }).where(eq(userSessions.id, id)),
    revokeSession: (id: string, now: Date) =>
      db
        .update(userSessions)
        .set({ revokedAt: now })
        .where(and(eq(userSessions.id, id), isNull(userSessions.revokedAt))),
    revokeUserSessions: (userId: string, now: Date) =>
      db
        .update(userSessions)
        .set({ revokedAt: now })
        .where(and(eq(userSessions.userId, userId), isNull(userSessions.revokedAt))),

    insertLoginToken: (row: typeof loginTokens.$inferInsert) => db.insert(loginTokens).values(row),

    findUsableLoginToken: async (tokenHash: string, now: Date) =>
      (
        await db
          .select()
          .from(loginTokens)
          .where(and(eq(loginTokens.tokenHash, tokenHash), isNull(loginTokens.usedAt), gt(loginTokens.expiresAt, now)))
      )[0],

    /** Marks the token used in one statement, so two concurrent uses cannot both win. */
    consumeLoginToken: async (tokenHash: string, now: Date) =>
      (
        await db
          .update(loginTokens)
          .set({ usedAt: now })
          .where(and(eq(loginTokens.tokenHash, tokenHash), isNull(loginTokens.usedAt), gt(loginTokens.expiresAt, now)))
          .returning()
      )[0],

    purgeExpired: (now: Date) =>
      Promise.all([
        db.delete(loginTokens).where(or(lt(loginTokens.expiresAt, now), lt(loginTokens.usedAt, now))),
        db.delete(userSessions).where(lt(userSessions.expiresAt, now)),
      ]),
  };
}

export type SessionsRepository = ReturnType<typeof createSessionsRepository>;
