import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/client.js';
import { createTestApp, type TestApp } from '../harness/app.js';
import { runCli } from '../harness/cli.js';
import { preloadEmbeddedDatabase } from '../harness/data-dir.js';
import { withDatabase } from '../harness/global-setup.js';
import { adminUrl } from '../harness/postgres.js';
import { makeTempDir } from '../harness/temp-dir.js';
import { sessionCookieOf } from '../harness/identity.js';

const PUBLIC_URL = 'http://hub.test:8080';
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;
const postgresUrl = process.env['TEST_DATABASE_URL'];

/**
 * `agenthub users ...` as a subprocess, against the embedded database in a
 * temporary DATA_DIR, or a fresh Postgres database when TEST_DATABASE_URL is set.
 */
describe('agenthub users (command line)', () => {
  const dir = makeTempDir('cli-users');
  const databaseName = `agenthub_cli_${randomBytes(5).toString('hex')}`;
  const env: Record<string, string> = { DATA_DIR: dir.path, PUBLIC_URL, LOG_LEVEL: 'warn' };
  const cli = (...args: string[]) => runCli(['users', ...args], env, 60_000);

  beforeAll(async () => {
    if (postgresUrl) {
      await withAdmin((admin) => admin.query(`create database "${databaseName}"`));
      env['DATABASE_URL'] = withDatabase(postgresUrl, databaseName);
    } else {
      await preloadEmbeddedDatabase(dir.path);
    }
  });
  afterAll(async () => {
    if (postgresUrl) await withAdmin((admin) => admin.query(`drop database if exists "${databaseName}" with (force)`));
    dir.remove();
  });

  it('documents users create and users login-link in --help', async () => {
    const [users, create, link] = await Promise.all([
      runCli(['users', '--help']),
      runCli(['users', 'create', '--help']),
      runCli(['users', 'login-link', '--help']),
    ]);
    expect(users).toMatchObject({ code: 0, stderr: '' });
    expect(users.stdout).toMatch(/^\s+create \[options\]/m);
    expect(users.stdout).toMatch(/^\s+login-link \[options\]/m);
    expect(create.stdout).toMatch(/^Usage: agenthub users create \[options\]/);
    for (const flag of ['--email <email>', '--name <name>', '--admin', '--password <password>'])
      expect(create.stdout).toContain(flag);
    expect(link.stdout).toContain('--email <email>');
    expect((await runCli(['--help'])).stdout).toMatch(/^\s+users\s/m);
  });

  it('refuses invalid flags before touching the database', async () => {
    const [badEmail, shortPassword, missingName] = await Promise.all([
      cli('create', '--email', 'not-an-email', '--name', 'X'),
      cli('create', '--email', 'x@example.com', '--name', 'X', '--password', 'short'),
      cli('create', '--email', 'x@example.com'),
    ]);
    expect(badEmail.code).toBe(1);
    expect(badEmail.stderr).toMatch(/--email/);
    expect(shortPassword.code).toBe(1);
    expect(shortPassword.stderr).toMatch(/--password: must be at least 10 characters/);
    expect(missingName.code).toBe(1);
    expect(missingName.stderr).toMatch(/--name/);
  });

  it('creates people, prints their id and a login link once, and the server accepts both', async () => {
    const admin = await cli(
      'create',
      '--email',
      'Ada@Example.com',
      '--name',
      'Ada',
      '--admin',
      '--password',
      'correct horse battery',
    );
    expect(admin.code, admin.stderr).toBe(0);
    expect(admin.stdout).toMatch(new RegExp(`^Created user ${UUID.source} \\(ada@example.com, role admin\\)\\.$`, 'm'));
    const adminId = UUID.exec(admin.stdout)![0];

    const bob = await cli('create', '--email', 'bob@example.com', '--name', 'Bob');
    expect(bob.code, bob.stderr).toBe(0);
    expect(bob.stdout).toMatch(/role user/);
    expect(bob.stdout).toContain('agenthub users login-link --email bob@example.com');

    const link = await cli('login-link', '--email', 'BOB@example.com');
    expect(link.code, link.stderr).toBe(0);
    const [url, note] = link.stdout.trim().split('\n');
    expect(url).toMatch(/^http:\/\/hub\.test:8080\/auth\/token\/[A-Za-z0-9_-]{43}$/);
    expect(note).toMatch(/single use/i);

    const duplicate = await cli('create', '--email', 'ada@example.com', '--name', 'Ada again');
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toMatch(/already exists/);
    const unknown = await cli('login-link', '--email', 'nobody@example.com');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/No active user/);
    expect(unknown.stdout).toBe('');

    // The server (same database) signs Ada in with her password and Bob with his link, once.
    const database: Database = postgresUrl
      ? await openDatabase({ url: env['DATABASE_URL'] })
      : await openDatabase({ dataDir: join(dir.path, 'pglite') });
    let t: TestApp | undefined;
    try {
      t = await createTestApp({ database, config: { publicUrl: PUBLIC_URL } });
      const signIn = await t.app.inject({
        method: 'POST',
        url: '/login',
        payload: { email: 'ada@example.com', password: 'correct horse battery' },
      });
      expect(signIn.statusCode).toBe(200);
      expect(signIn.json().user).toMatchObject({ id: adminId, role: 'admin', name: 'Ada' });

      const path = new URL(url!).pathname;
      const used = await t.app.inject({ method: 'POST', url: path });
      expect(used.statusCode).toBe(303);
      const me = await t.app.inject({
        url: '/api/v1/me',
        headers: { cookie: `agenthub_session=${sessionCookieOf(t, used)!}` },
      });
      expect(me.json().user).toMatchObject({ email: 'bob@example.com', role: 'user' });
      expect((await t.app.inject({ method: 'POST', url: path })).statusCode).toBe(400);

      const audit = await t.ctx.services.audit.list({ type: 'user.created', limit: 10 });
      expect(audit.events.every((e) => e.actorType === 'system')).toBe(true);
    } finally {
      await t?.close();
      await database.close();
    }
    // Four cold CLI starts (tsx, migrations, argon2) in a row.
  }, 120_000);
});

async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: adminUrl(postgresUrl!) });
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}
