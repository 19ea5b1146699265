import { and, count, desc, eq, inArray, or, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { agents, type AgentRow, type AgentStatus } from '../../db/schema/index.js';

export type NewAgent = typeof agents.$inferInsert;

export function createAgentsRepository({ db }: { db: Db }) {
  return {
    /** Undefined when the active (owner, server_id) pair is taken. */
    insert: async (row: NewAgent): Promise<AgentRow | undefined> =>
      (await db.insert(agents).values(row).onConflictDoNothing().returning())[0],

    findById: async (id: string) => (await db.select().from(agents).where(eq(agents.id, id)))[0],

    findActiveByServerId: async (ownerId: string, serverId: string) =>
      (
        await db
          .select()
          .from(agents)
          .where(and(eq(agents.ownerId, ownerId), eq(agents.serverId, serverId), eq(agents.status, 'approved')))
      )[0],

    /** Agents owned by the user or by one of their teams; `all` for server admins. */
    listVisible: (scope: { all: true } | { userId: string; teamIds: string[] }) => {
      let where: SQL | undefined;
      if (!('all' in scope)) {
        where =
          scope.teamIds.length > 0
            ? or(eq(agents.ownerId, scope.userId), inArray(agents.teamId, scope.teamIds))
            : eq(agents.ownerId, scope.userId);
      }
      return db.select().from(agents).where(where).orderBy(desc(agents.createdAt));
    },

    activeIdsOwnedBy: async (ownerId: string) =>
      (
        await db
          .select({ id: agents.id })
          .from(agents)
          .where(and(eq(agents.ownerId, ownerId), eq(agents.status, 'approved')))
      ).map((row) => row.id),

    countActive: async (ownerId: string) =>
      (
        await db
          .select({ n: count() })
          .from(agents)
          .where(and(eq(agents.ownerId, ownerId), eq(agents.status, 'approved')))
      )[0]?.n ?? 0,

    setStatus: async (id: string, status: AgentStatus, now: Date) =>
      (
        await db
          .update(agents)
          .set({ status, deactivatedAt: status === 'approved' ? null : now })
          .where(eq(agents.id, id))
          .returning()
      )[0],
  };
}

export type AgentsRepository = ReturnType<typeof createAgentsRepository>;
