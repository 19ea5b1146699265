import { constants, existsSync, readFileSync, statSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import type { Config } from '../config.js';
import { queryRows, type Database } from '../db/client.js';
import { migrationsFolder } from '../lib/paths.js';

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  name: string;
  status: CheckStatus;
  /** What was found. */
  detail: string;
  /** What to do about it (warn and fail only). */
  fix?: string;
}

const ok = (name: string, detail: string): CheckResult => ({ name, status: 'ok', detail });
const warn = (name: string, detail: string, fix: string): CheckResult => ({ name, status: 'warn', detail, fix });
const fail = (name: string, detail: string, fix: string): CheckResult => ({ name, status: 'fail', detail, fix });

/** Clock skew between this machine and the database beyond which tokens and windows misbehave. */
const MAX_CLOCK_SKEW_SECONDS = 5;

/** A database URL with its password replaced, fit to print. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

export function checkConfig(config: Config): CheckResult[] {
  const results = [
    ok(
      'config',
      `NODE_ENV=${config.NODE_ENV}, database ${config.databaseUrl ? redactUrl(config.databaseUrl) : `embedded PGlite in ${config.dataDir}`}`,
    ),
  ];
  const production = config.NODE_ENV === 'production';
  const local = /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:|$)/.test(config.publicUrl);
  if (production && !config.secureCookies && !local)
    results.push(
      warn(
        'public url',
        `PUBLIC_URL ${config.publicUrl} is plain http: session cookies are sent without Secure`,
        'put TLS in front (docs/DEPLOYMENT.md) and set PUBLIC_URL=https://...',
      ),
    );
  if (production && !config.METRICS_TOKEN)
    results.push(
      warn(
        'metrics token',
        'GET /metrics answers anyone who can reach the port',
        'set METRICS_TOKEN (≥ 16 characters) or keep the port off untrusted networks',
      ),
    );
  if (config.JWT_PREVIOUS_SECRET || config.COOKIE_PREVIOUS_SECRET)
    results.push(
      warn(
        'secret rotation',
        'a *_PREVIOUS_SECRET is set: tokens signed with the old secret are still accepted',
        'remove JWT_PREVIOUS_SECRET / COOKIE_PREVIOUS_SECRET once the rotation window has passed (docs/RUNBOOK.md)',
      ),
    );
  return results;
}

/** DATA_DIR and the development secrets in it: writable by us, readable by no one else. */
export async function checkFiles(config: Config, envFile = join(process.cwd(), '.env')): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const dir = config.dataDir;
  if (!existsSync(dir)) {
    results.push(
      config.databaseUrl
        ? ok('data dir', `${dir} does not exist (not needed with Postgres)`)
        : warn(
            'data dir',
            `${dir} does not exist yet`,
            `it is created at the first start; or create it: mkdir -p ${dir}`,
          ),
    );
  } else {
    const mode = statSync(dir).mode & 0o777;
    try {
      await access(dir, constants.W_OK);
      if (mode & 0o002) results.push(fail('data dir', `${dir} is world-writable (${octal(mode)})`, `chmod 700 ${dir}`));
      else results.push(ok('data dir', `${dir} writable (${octal(mode)})`));
    } catch {
      results.push(
        fail('data dir', `${dir} is not writable by this user`, `chown the directory to the user running AgentHub`),
      );
    }
  }
  for (const file of [join(dir, '.jwt_secret'), join(dir, '.cookie_secret'), envFile]) {
    if (!existsSync(file)) continue;
    const mode = statSync(file).mode & 0o777;
    if (mode & 0o077)
      results.push(
        fail('secret file', `${file} is readable by others (${octal(mode)}): it holds secrets`, `chmod 600 ${file}`),
      );
    else results.push(ok('secret file', `${file} (${octal(mode)})`));
  }
  return results;
}

interface JournalEntry {
  tag: string;
  when: number;
}

/** Migrations shipped with this build that the database has not applied (drizzle's journal vs its table). */
export async function pendingMigrations(database: Database): Promise<string[]> {
  const journal = JSON.parse(readFileSync(join(migrationsFolder, 'meta', '_journal.json'), 'utf8')) as {
    entries: JournalEntry[];
  };
  const [exists] = await queryRows<{ present: boolean }>(
    database.db,
    sql`select to_regclass('drizzle.__drizzle_migrations') is not null as present`,
  );
  if (!exists?.present) return journal.entries.map((e) => e.tag);
  const [latest] = await queryRows<{ created_at: string | null }>(
    database.db,
    sql`select max(created_at)::text as created_at from drizzle.__drizzle_migrations`,
  );
  const appliedUpTo = Number(latest?.created_at ?? 0);
  return journal.entries.filter((e) => e.when > appliedUpTo).map((e) => e.tag);
}

export async function checkDatabase(config: Config, open: () => Promise<Database>): Promise<CheckResult[]> {
  const target = config.databaseUrl ? redactUrl(config.databaseUrl) : `PGlite in ${config.dataDir}/pglite`;
  let database: Database;
  try {
    database = await open();
    await database.ping();
  } catch (error) {
    return [
      fail(
        'database',
        `cannot reach ${target}: ${errorText(error)}`,
        config.databaseUrl
          ? 'start Postgres, or fix DATABASE_URL / POSTGRES_* (host, port, credentials, database name)'
          : 'check DATA_DIR; if another AgentHub is running on this data directory, run doctor while it is stopped',
      ),
    ];
  }
  try {
    const results = [ok('database', `reachable: ${target}`)];
    const pending = await pendingMigrations(database);
    results.push(
      pending.length === 0
        ? ok('migrations', 'all applied')
        : fail(
            'migrations',
            `${pending.length} pending: ${pending.join(', ')}`,
            'run `agenthub migrate` (or start the server with MIGRATE_ON_START=true)',
          ),
    );
    if (database.kind === 'postgres') {
      const [row] = await queryRows<{ epoch: string }>(
        database.db,
        sql`select extract(epoch from now())::text as epoch`,
      );
      const skew = Math.abs(Number(row?.epoch) - Date.now() / 1000);
      results.push(
        skew <= MAX_CLOCK_SKEW_SECONDS
          ? ok('clock', `within ${skew.toFixed(2)} s of the database`)
          : fail(
              'clock',
              `${skew.toFixed(1)} s apart from the database's clock`,
              'sync both machines with NTP (timedatectl set-ntp true): token expiry and ingest windows depend on it',
            ),
      );
    }
    return results;
  } catch (error) {
    return [fail('database', `query failed on ${target}: ${errorText(error)}`, 'check the database logs')];
  } finally {
    await database.close().catch(() => undefined);
  }
}

export async function checkRedis(url: string): Promise<CheckResult> {
  const { Redis } = await import('ioredis');
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
    return ok('redis', `reachable: ${redactUrl(url)}`);
  } catch (error) {
    return fail('redis', `cannot reach ${redactUrl(url)}: ${errorText(error)}`, 'start Redis or fix REDIS_URL');
  } finally {
    client.disconnect();
  }
}

/** A server already answering on this configuration's port (doctor must not open its embedded database then). */
export async function runningServer(config: Config): Promise<CheckResult | undefined> {
  const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? '127.0.0.1' : config.HOST;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${config.PORT}/readyz`;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1500) });
    const body = (await response.json().catch(() => ({}))) as { status?: string };
    return response.ok
      ? ok('server', `running: ${url} answers ${response.status} (${body.status ?? 'ready'})`)
      : fail(
          'server',
          `running but not ready: ${url} answers ${response.status}`,
          'see the readiness detail at /readyz and the server log',
        );
  } catch {
    return undefined;
  }
}

function octal(mode: number): string {
  return '0' + mode.toString(8).padStart(3, '0');
}

function errorText(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return errorText(error.errors[0]);
  if (error instanceof Error) {
    const code = (error as Error & { code?: unknown }).code;
    const message = error.message.split('\n')[0] ?? '';
    return typeof code === 'string' && !message.includes(code) ? `${message} (${code})` : message;
  }
  return String(error);
}
