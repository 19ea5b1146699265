import { asc, count, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { users, type UserRow } from '../../db/schema/index.js';
import { one } from '../../lib/rows.js';

export type NewUser = typeof users.$inferInsert;
export type UserPatch = Partial<Pick<UserRow, 'name' | 'role' | 'plan' | 'disabledAt' | 'passwordHash'>>;

export function createUsersRepository({ db }: { db: Db }) {
  return {
    findById: async (id: string) => (await db.select().from(users).where(eq(users.id, id)))[0],
    findByEmail: async (email: string) =>
      (
        await db
          .select()
          .from(users)
          .where(sql`lower(${users.email}) = lower(${email})`)
      )[0],
    list: () => db.select().from(users).orderBy(asc(users.createdAt)),
    count: async () => one(await db.select({ n: count() }).from(users)).n,
    /** Returns undefined when the email is taken (unique index on lower(email)). */
    insert: async (user: NewUser): Promise<UserRow | undefined> =>
      (await db.insert(users).values(user).onConflictDoNothing().returning())[0],
    update: async (id: string, patch: UserPatch) =>
      (await db.update(users).set(patch).where(eq(users.id, id)).returning())[0],
  };
}

export type UsersRepository = ReturnType<typeof createUsersRepository>;
