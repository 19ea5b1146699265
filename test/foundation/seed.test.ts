import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.js';
import { users } from '../../src/db/schema/index.js';
import { SEED_ADMIN_EMAIL, seed } from '../../src/db/seed.js';
import { verifySecret } from '../../src/lib/crypto.js';
import { createTestDatabase } from '../harness/database.js';
import { queryRows } from '../harness/sql.js';

describe('seed', () => {
  let database: Database;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database.close());

  async function counts() {
    const [row] = await queryRows<Record<string, number>>(
      database.db,
      sql`select
            (select count(*)::int from users) as users,
            (select count(*)::int from users where role = 'admin') as admins,
            (select count(*)::int from agents) as agents,
            (select count(*)::int from rooms) as rooms,
            (select count(*)::int from room_members) as room_members`,
    );
    return row;
  }

  it('creates one admin, three agents and two rooms with every agent in both rooms', async () => {
    const first = await seed(database.db, { adminPassword: 'correct horse battery' });
    expect(first.agentIds).toHaveLength(3);
    expect(first.roomIds).toHaveLength(2);
    expect(first.adminPassword).toBe('correct horse battery');
    expect(await counts()).toEqual({ users: 1, admins: 1, agents: 3, rooms: 2, room_members: 6 });

    const [admin] = await database.db.select().from(users).where(eq(users.email, SEED_ADMIN_EMAIL));
    expect(admin?.passwordHash).toMatch(/^\$argon2id\$/);
    expect(await verifySecret(admin!.passwordHash!, 'correct horse battery')).toBe(true);
  });

  it('changes nothing and returns the same ids when run again', async () => {
    const before = await seed(database.db);
    const again = await seed(database.db, { adminPassword: 'another password' });
    expect(again).toEqual({ adminId: before.adminId, agentIds: before.agentIds, roomIds: before.roomIds });
    expect(again.adminPassword).toBeUndefined();
    expect(await counts()).toEqual({ users: 1, admins: 1, agents: 3, rooms: 2, room_members: 6 });

    // The existing admin keeps its password.
    const [admin] = await database.db.select().from(users).where(eq(users.email, SEED_ADMIN_EMAIL));
    expect(await verifySecret(admin!.passwordHash!, 'correct horse battery')).toBe(true);
  });

  it('generates a random admin password when none is given', async () => {
    const fresh = await createTestDatabase();
    try {
      const result = await seed(fresh.db);
      expect(result.adminPassword).toMatch(/^[\w-]{16}$/);
    } finally {
      await fresh.close();
    }
  });
});
