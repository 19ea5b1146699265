import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { inject } from 'vitest';
import { openDatabase, type Database } from '../../src/db/client.js';
import { withDatabase } from './global-setup.js';
import { adminUrl } from './postgres.js';

/**
 * A fresh, migrated database: a copy of the run's template on Postgres
 * (TEST_DATABASE_URL), or the migrated PGlite snapshot loaded in memory.
 * Closing it drops the Postgres copy.
 */
export async function createTestDatabase(): Promise<Database> {
  const url = process.env['TEST_DATABASE_URL'];
  const template = inject('pgTemplate');
  if (url && template) return createPostgresCopy(url, template);
  const snapshot = inject('pgliteSnapshot');
  if (!snapshot) throw new Error('global setup did not provide a PGlite snapshot');
  return openDatabase({ loadDataDir: new Blob([readFileSync(snapshot)]) });
}

async function createPostgresCopy(url: string, template: string): Promise<Database> {
  const name = `agenthub_t_${randomBytes(6).toString('hex')}`;
  await withAdmin(url, async (admin) => {
    // Concurrent copies of one template can collide briefly; retry a few times.
    for (let attempt = 0; ; attempt++) {
      try {
        await admin.query(`create database "${name}" template "${template}"`);
        return;
      } catch (error) {
        if (attempt >= 20) throw error;
        await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
      }
    }
  });
  const database = await openDatabase({ url: withDatabase(url, name), poolMax: 10 });
  const close = database.close.bind(database);
  return Object.defineProperties(database, {
    close: {
      value: async () => {
        if (database.closed) return;
        await close();
        await withAdmin(url, (admin) => admin.query(`drop database if exists "${name}" with (force)`));
      },
    },
  });
}

async function withAdmin<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: adminUrl(url) });
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}
