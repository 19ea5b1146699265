import { execFile } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.js';
import { runMigrations } from '../../src/db/migrate.js';
import { agents, messages, metricsData, rooms, users } from '../../src/db/schema/index.js';
import { migrationsFolder } from '../../src/lib/paths.js';
import { one } from '../../src/lib/rows.js';
import { createTestDatabase } from '../harness/database.js';
import { queryRows, sqlState } from '../harness/sql.js';

const UNIQUE_VIOLATION = '23505';

const journal = JSON.parse(readFileSync(join(migrationsFolder, 'meta', '_journal.json'), 'utf8')) as {
  entries: unknown[];
};

describe('the Drizzle schema and the migrations', () => {
  it('agree: drizzle-kit generate, against the last snapshot, has nothing to write', async () => {
    // A copy of drizzle/, so a failing check leaves no migration behind. drizzle-kit takes the folder relative
    // to the working directory.
    const root = join(migrationsFolder, '..');
    const copy = join(root, 'test', '.cache', `drizzle-check-${process.pid}`);
    cpSync(migrationsFolder, copy, { recursive: true });
    try {
      const before = readdirSync(copy).sort();
      const { stdout } = await promisify(execFile)(
        join(root, 'node_modules', '.bin', 'drizzle-kit'),
        ['generate', '--dialect', 'postgresql', '--schema', './src/db/schema/index.ts', '--out', relative(root, copy)],
        { cwd: root },
      );
      // A schema change without its hand-written migration (or a stale snapshot) shows up as a new file here.
      expect(readdirSync(copy).sort()).toEqual(before);
      expect(stdout).toContain('No schema changes');
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});

describe('migrations and schema constraints', () => {
  let database: Database;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database.close());

  async function createUser(email: string) {
    return one(await database.db.insert(users).values({ email, name: email }).returning()).id;
  }

  async function tableNames() {
    const rows = await queryRows<{ name: string }>(
      database.db,
      sql`select table_name as name from information_schema.tables where table_schema = 'public' order by 1`,
    );
    return rows.map((r) => r.name);
  }

  it('records every migration of the journal exactly once', async () => {
    const applied = await queryRows<{ n: number }>(
      database.db,
      sql`select count(*)::int as n from drizzle.__drizzle_migrations`,
    );
    expect(applied[0]?.n).toBe(journal.entries.length);
  });

  it('runs again twice without error and without changing anything', async () => {
    const before = await tableNames();
    await runMigrations(database);
    await runMigrations(database);
    expect(await tableNames()).toEqual(before);
    const applied = await queryRows<{ n: number }>(
      database.db,
      sql`select count(*)::int as n from drizzle.__drizzle_migrations`,
    );
    expect(applied[0]?.n).toBe(journal.entries.length);
  });

  it('creates metrics_data as a range-partitioned table with a default partition', async () => {
    const partitioned = await queryRows<{ strategy: string }>(
      database.db,
      sql`select p.partstrat as strategy
          from pg_partitioned_table p join pg_class c on c.oid = p.partrelid
          where c.relname = 'metrics_data'`,
    );
    expect(partitioned).toEqual([{ strategy: 'r' }]);

    const partitions = await queryRows<{ name: string; bound: string }>(
      database.db,
      sql`select c.relname as name, pg_get_expr(c.relpartbound, c.oid) as bound
          from pg_inherits i
          join pg_class c on c.oid = i.inhrelid
          join pg_class parent on parent.oid = i.inhparent
          where parent.relname = 'metrics_data'`,
    );
    expect(partitions).toContainEqual({ name: 'metrics_data_default', bound: 'DEFAULT' });
  });

  it('stores a metrics row in the default partition and refuses the same (agent_id, ts) twice', async () => {
    const row = {
      agentId: '00000000-0000-4000-8000-000000000001',
      serverId: 'srv-1',
      ts: new Date('2026-01-02T03:04:05Z'),
      data: { cpu: { usage: 12.5 } },
    };
    await database.db.insert(metricsData).values(row);
    const stored = await queryRows<{ n: number }>(
      database.db,
      sql`select count(*)::int as n from metrics_data_default where server_id = 'srv-1'`,
    );
    expect(stored[0]?.n).toBe(1);
    expect(await sqlState(database.db.insert(metricsData).values(row))).toBe(UNIQUE_VIOLATION);
  });

  it('allows one approved agent per (owner_id, server_id) and any number of non-approved ones', async () => {
    const owner = await createUser('partial-index@example.test');
    const other = await createUser('partial-index-other@example.test');
    const agent = (name: string, status: 'approved' | 'inactive' | 'replaced' | 'revoked' = 'approved') =>
      database.db.insert(agents).values({ ownerId: owner, name, serverId: 'web-01', status }).returning();

    const first = one(await agent('first'));
    expect(await sqlState(agent('duplicate'))).toBe(UNIQUE_VIOLATION);

    // Not approved: no conflict with the active one.
    expect(await sqlState(agent('old-inactive', 'inactive'))).toBeUndefined();
    expect(await sqlState(agent('old-revoked', 'revoked'))).toBeUndefined();

    // Another owner may use the same server_id.
    expect(
      await sqlState(database.db.insert(agents).values({ ownerId: other, name: 'x', serverId: 'web-01' })),
    ).toBeUndefined();

    // Once the first is replaced, a new approved agent may take the server_id.
    await database.db.update(agents).set({ status: 'replaced' }).where(eq(agents.id, first.id));
    expect(await sqlState(agent('second'))).toBeUndefined();
    expect(await sqlState(agent('third'))).toBe(UNIQUE_VIOLATION);
  });

  it('allows several approved agents without a server_id for one owner', async () => {
    const owner = await createUser('no-server-id@example.test');
    await database.db.insert(agents).values({ ownerId: owner, name: 'a' });
    expect(await sqlState(database.db.insert(agents).values({ ownerId: owner, name: 'b' }))).toBeUndefined();
  });

  it('keeps message sequence numbers unique per room', async () => {
    const owner = await createUser('messages@example.test');
    const [roomA, roomB] = await database.db
      .insert(rooms)
      .values([
        { slug: 'a', name: 'A', ownerId: owner },
        { slug: 'b', name: 'B', ownerId: owner },
      ])
      .returning();
    const send = (roomId: string, seq: number) =>
      database.db.insert(messages).values({ roomId, seq, senderUserId: owner, body: `#${seq}` });

    expect(await sqlState(send(roomA!.id, 1))).toBeUndefined();
    expect(await sqlState(send(roomA!.id, 1))).toBe(UNIQUE_VIOLATION);
    expect(await sqlState(send(roomA!.id, 2))).toBeUndefined();
    expect(await sqlState(send(roomB!.id, 1))).toBeUndefined();
  });

  it('refuses a second room with the same slug for the same owner', async () => {
    const owner = await createUser('slugs@example.test');
    await database.db.insert(rooms).values({ slug: 'general', name: 'General', ownerId: owner });
    expect(await sqlState(database.db.insert(rooms).values({ slug: 'general', name: 'Again', ownerId: owner }))).toBe(
      UNIQUE_VIOLATION,
    );
  });

  it('treats user emails as unique regardless of case', async () => {
    await createUser('Case@Example.test');
    expect(await sqlState(createUser('case@example.TEST'))).toBe(UNIQUE_VIOLATION);
  });
});
