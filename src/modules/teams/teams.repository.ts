import { and, asc, count, eq } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { teamMembers, teams, users, type TeamRole } from '../../db/schema/index.js';

export function createTeamsRepository({ db }: { db: Db }) {
  return {
    /** Creates the team and its owner membership together. */
    create: (name: string, ownerId: string) =>
      db.transaction(async (tx) => {
        const [team] = await tx.insert(teams).values({ name, ownerId }).returning();
        if (!team) throw new Error('team insert returned nothing');
        await tx.insert(teamMembers).values({ teamId: team.id, userId: ownerId, role: 'owner' });
        return team;
      }),

    findById: async (id: string) => (await db.select().from(teams).where(eq(teams.id, id)))[0],

    listForUser: (userId: string) =>
      db
        .select({ id: teams.id, name: teams.name, role: teamMembers.role, createdAt: teams.createdAt })
        .from(teamMembers)
        .innerJoin(teams, eq(teams.id, teamMembers.teamId))
        .where(eq(teamMembers.userId, userId))
        .orderBy(asc(teams.name)),

    /** Every team with its owner and member count (the admin pages). */
    listAll: () =>
      db
        .select({
          id: teams.id,
          name: teams.name,
          createdAt: teams.createdAt,
          ownerEmail: users.email,
          members: count(teamMembers.userId),
        })
        .from(teams)
        .innerJoin(users, eq(users.id, teams.ownerId))
        .leftJoin(teamMembers, eq(teamMembers.teamId, teams.id))
        .groupBy(teams.id, users.email)
        .orderBy(asc(teams.name)),

    membershipsOf: async (userId: string): Promise<Map<string, TeamRole>> => {
      const rows = await db
        .select({ teamId: teamMembers.teamId, role: teamMembers.role })
        .from(teamMembers)
        .where(eq(teamMembers.userId, userId));
      return new Map(rows.map((r) => [r.teamId, r.role]));
    },

    listMembers: (teamId: string) =>
      db
        .select({
          userId: users.id,
          email: users.email,
          name: users.name,
          role: teamMembers.role,
          createdAt: teamMembers.createdAt,
        })
        .from(teamMembers)
        .innerJoin(users, eq(users.id, teamMembers.userId))
        .where(eq(teamMembers.teamId, teamId))
        .orderBy(asc(users.email)),

    findMember: async (teamId: string, userId: string) =>
      (
        await db
          .select()
          .from(teamMembers)
          .where(and(eq(teamMembers.teamId, teamId), eq(teamMembers.userId, userId)))
      )[0],

    upsertMember: (teamId: string, userId: string, role: TeamRole) =>
      db
        .insert(teamMembers)
        .values({ teamId, userId, role })
        .onConflictDoUpdate({ target: [teamMembers.teamId, teamMembers.userId], set: { role } }),

    removeMember: (teamId: string, userId: string) =>
      db.delete(teamMembers).where(and(eq(teamMembers.teamId, teamId), eq(teamMembers.userId, userId))),
  };
}

export type TeamsRepository = ReturnType<typeof createTeamsRepository>;
