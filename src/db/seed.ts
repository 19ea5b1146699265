import { and, eq } from 'drizzle-orm';
import { hashSecret, randomToken } from '../lib/crypto.js';
import { one } from '../lib/rows.js';
import type { Db } from './client.js';
import { agents, roomMembers, rooms, users } from './schema/index.js';

export const SEED_ADMIN_EMAIL = 'admin@agenthub.local';
const SEED_AGENTS = ['seed-agent-1', 'seed-agent-2', 'seed-agent-3'] as const;
const SEED_ROOMS = [
  { slug: 'general', name: 'General' },
  { slug: 'ops', name: 'Operations' },
] as const;

export interface SeedResult {
  adminId: string;
  /** Only when the admin was created by this run: the generated password, shown once. */
  adminPassword?: string;
  agentIds: string[];
  roomIds: string[];
}

/** Demo data for development: one admin, 3 agents, 2 rooms. Running it twice changes nothing. */
export async function seed(db: Db, options: { adminPassword?: string } = {}): Promise<SeedResult> {
  return db.transaction(async (tx) => {
    const result: SeedResult = { adminId: '', agentIds: [], roomIds: [] };
    const [existing] = await tx.select({ id: users.id }).from(users).where(eq(users.email, SEED_ADMIN_EMAIL));
    if (existing) {
      result.adminId = existing.id;
    } else {
      const password = options.adminPassword ?? randomToken(12);
      const created = one(
        await tx
          .insert(users)
          .values({
            email: SEED_ADMIN_EMAIL,
            name: 'Seed Admin',
            role: 'admin',
            passwordHash: await hashSecret(password),
          })
          .returning({ id: users.id }),
      );
      result.adminId = created.id;
      result.adminPassword = password;
    }

    for (const [index, name] of SEED_AGENTS.entries()) {
      const [found] = await tx
        .select({ id: agents.id })
        .from(agents)
        .where(and(eq(agents.ownerId, result.adminId), eq(agents.name, name)));
      const id =
        found?.id ??
        one(
          await tx
            .insert(agents)
            .values({
              ownerId: result.adminId,
              name,
              displayName: `Seed agent ${index + 1}`,
              serverId: `seed-server-${index + 1}`,
              role: index === 0 ? 'admin' : 'agent',
              approvedAt: new Date(),
            })
            .returning({ id: agents.id }),
        ).id;
      result.agentIds.push(id);
    }

    for (const room of SEED_ROOMS) {
      await tx
        .insert(rooms)
        .values({ ...room, ownerId: result.adminId, createdBy: result.adminId })
        .onConflictDoNothing();
      const row = one(
        await tx
          .select({ id: rooms.id })
          .from(rooms)
          .where(and(eq(rooms.ownerId, result.adminId), eq(rooms.slug, room.slug))),
      );
      result.roomIds.push(row.id);
      await tx
        .insert(roomMembers)
        .values(result.agentIds.map((agentId) => ({ roomId: row.id, agentId })))
        .onConflictDoNothing();
    }
    return result;
  });
}
