import { randomBytes } from 'node:crypto';
import { chmodSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer } from '../harness/app.js';
import { freePort, runCli } from '../harness/cli.js';
import { withDatabase } from '../harness/global-setup.js';
import { adminUrl } from '../harness/postgres.js';
import { makeTempDir } from '../harness/temp-dir.js';

/** The line of one check, e.g. `✗ migrations  2 pending: ...`. */
const line = (stdout: string, name: string) =>
  stdout.split('\n').find((l) => new RegExp(`^  . ${name} `).test(l)) ?? '';

// Real `agenthub doctor` processes (tsx transpiles the CLI): allow for a busy machine.
describe('agenthub doctor', { timeout: 120_000 }, () => {
  let dataDir: ReturnType<typeof makeTempDir>;
  let env: Record<string, string>;
  beforeAll(async () => {
    dataDir = makeTempDir('doctor');
    env = { DATA_DIR: dataDir.path, PORT: String(await freePort()) };
  });
  afterAll(() => dataDir.remove());

  it('fails on an unmigrated embedded database and passes once `agenthub migrate` has run', async () => {
    const before = await runCli(['doctor'], env);
    expect(before.code, before.stdout + before.stderr).toBe(1);
    expect(line(before.stdout, 'migrations')).toMatch(/✗ migrations .*pending: 0000_init/);
    expect(before.stdout).toContain('run `agenthub migrate`');

    expect((await runCli(['migrate'], env)).code).toBe(0);
    const after = await runCli(['doctor'], env);
    expect(after.code, after.stdout + after.stderr).toBe(0);
    expect(line(after.stdout, 'migrations')).toMatch(/✓ migrations +all applied/);
    expect(line(after.stdout, 'database')).toMatch(/✓ database +reachable: PGlite/);
    expect(after.stdout).toMatch(/No problems/);
  });

  it('names a secret file readable by others and the chmod that fixes it', async () => {
    const secret = join(dataDir.path, '.jwt_secret');
    chmodSync(secret, 0o644);
    try {
      const result = await runCli(['doctor'], env);
      expect(result.code).toBe(1);
      expect(result.stdout).toContain(`${secret} is readable by others (0644)`);
      expect(result.stdout).toContain(`→ chmod 600 ${secret}`);
    } finally {
      chmodSync(secret, 0o600);
    }
  });

  it('reports an invalid configuration as a failed check naming the variable', async () => {
    const result = await runCli(['doctor'], { ...env, PORT: 'abc' });
    expect(result.code).toBe(1);
    expect(line(result.stdout, 'config')).toMatch(/✗ config .*PORT/);
  });

  it('says why an unreachable Postgres fails without printing its password', async () => {
    const port = await freePort();
    const result = await runCli(['doctor'], { ...env, DATABASE_URL: `postgres://agent:s3cr3t-pw@127.0.0.1:${port}/x` });
    expect(result.code).toBe(1);
    expect(line(result.stdout, 'database')).toMatch(
      /✗ database +cannot reach postgres:\/\/agent:\*\*\*@127\.0\.0\.1.*ECONNREFUSED/,
    );
    expect(result.stdout + result.stderr).not.toContain('s3cr3t-pw');
  });

  it('leaves the embedded database to a server already running on the port, and asks it for readiness', async () => {
    const server = await startTestServer();
    try {
      const result = await runCli(['doctor'], { ...env, PORT: new URL(server.url).port, HOST: '127.0.0.1' });
      expect(line(result.stdout, 'server')).toMatch(/✓ server +running: .*\/readyz answers 200/);
      expect(line(result.stdout, 'database')).toMatch(/in use by the running server/);
    } finally {
      await server.close();
    }
  });

  const postgres = process.env['TEST_DATABASE_URL'];
  it.skipIf(!postgres)('checks a Postgres database: reachability, migrations and the clock', async () => {
    const name = `agenthub_doctor_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: adminUrl(postgres!) });
    await admin.connect();
    await admin.query(`create database "${name}"`);
    try {
      const pgEnv = { ...env, DATABASE_URL: withDatabase(postgres!, name) };
      // A fresh database lacks every migration the package ships.
      const shipped = readdirSync('drizzle').filter((f) => f.endsWith('.sql')).length;
      expect(line((await runCli(['doctor'], pgEnv)).stdout, 'migrations')).toMatch(
        new RegExp(`✗ migrations +${shipped} pending`),
      );
      expect((await runCli(['migrate'], pgEnv)).code).toBe(0);
      const result = await runCli(['doctor'], pgEnv);
      expect(result.code, result.stdout).toBe(0);
      expect(line(result.stdout, 'clock')).toMatch(/✓ clock +within \d+\.\d+ s of the database/);
    } finally {
      await admin.query(`drop database if exists "${name}" with (force)`);
      await admin.end();
    }
  });
});
