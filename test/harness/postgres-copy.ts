import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { withDatabase } from './global-setup.js';
import { adminUrl } from './postgres.js';

/**
 * A migrated copy of the run's Postgres template, addressed by URL (so a test
 * can reach it through a proxy or open it twice). Drop it when done.
 */
export async function createPostgresCopy(url: string): Promise<{ url: string; drop(): Promise<void> }> {
  const template = inject('pgTemplate');
  if (!template) throw new Error('global setup did not provide a Postgres template');
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
  return {
    url: withDatabase(url, name),
    drop: async () => {
      await withAdmin(url, (admin) => admin.query(`drop database if exists "${name}" with (force)`));
    },
  };
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
