import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../../src/db/client.js';
import { runMigrations } from '../../src/db/migrate.js';
import { adminUrl, templateName } from './postgres.js';

const CACHE = join(import.meta.dirname, '..', '.cache');

/**
 * Migrates once per run: PGlite into a data-dir snapshot every test file loads,
 * or (with TEST_DATABASE_URL) Postgres into a template database every test file copies.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const url = process.env['TEST_DATABASE_URL'];
  if (url) {
    const template = templateName();
    const admin = new pg.Client({ connectionString: adminUrl(url) });
    await admin.connect();
    await admin.query(`drop database if exists "${template}" with (force)`);
    await admin.query(`create database "${template}"`);
    const database = await openDatabase({ url: withDatabase(url, template) });
    await runMigrations(database);
    await database.close();
    project.provide('pgTemplate', template);
    return async () => {
      await admin.query(`drop database if exists "${template}" with (force)`);
      await admin.end();
    };
  }
  mkdirSync(CACHE, { recursive: true });
  const database = await openDatabase({});
  await runMigrations(database);
  const snapshot = join(CACHE, `pglite-${process.pid}.tar`);
  const dump = await database.pglite!.dumpDataDir('none');
  writeFileSync(snapshot, Buffer.from(await dump.arrayBuffer()));
  await database.close();
  project.provide('pgliteSnapshot', snapshot);
  return () => {
    rmSync(snapshot, { force: true });
    return Promise.resolve();
  };
}

export function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = '/' + name;
  return parsed.toString();
}

declare module 'vitest' {
  export interface ProvidedContext {
    pgTemplate?: string;
    pgliteSnapshot?: string;
  }
}
