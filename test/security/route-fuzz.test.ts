import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { createTestApp, type TestApp } from '../harness/app.js';
import { createAgentWithToken, createUser, PASSWORD, signIn, signInAdmin, type Person } from '../harness/identity.js';
import { accessTokenFor } from '../harness/rooms.js';
import { hostileValue, pathSegment, queryValue } from './hostile-input.js';

/**
 * Every route the app registers, fed generated hostile requests by every kind of
 * caller: never a 5xx, never a stack trace or SQL, and a refused request (4xx)
 * writes no row. The route list comes from the app itself, so a new route is
 * fuzzed without anyone adding it here.
 */
const RUNS = Number(process.env['FUZZ_RUNS'] ?? 10);
/** Tables a refused request may legitimately write: the audit trail records refusals. */
const MAY_GROW_ON_REFUSAL = new Set(['audit_events']);
/** Field names the routes use, so generated bodies and queries reach past "unknown key" into the rules. */
const FIELD_NAMES = [
  'email',
  'name',
  'password',
  'role',
  'plan',
  'disabled',
  'server_id',
  'timestamp',
  'metrics',
  'samples',
  'device_name',
  'device_info',
  'client_id',
  'user_code',
  'device_code',
  'grant_type',
  'refresh_token',
  'replace',
  'team_id',
  'owner_id',
  'expires_at',
  'scopes',
  'slug',
  'title',
  'body',
  'client_msg_id',
  'agent_id',
  'limit',
  'cursor',
  'from',
  'to',
  'path',
  'step',
  'after_seq',
  'since_seq',
  'type',
  'subject_id',
  'decision',
  '_csrf',
  'scope',
  'next',
  'once',
  'id',
  'kind',
  '__proto__',
  'constructor',
  'prototype',
];

/** Routes answering with an event stream (they take `once=1`). */
const STREAMING = /\/(events|stream)$/;
/** A request still unanswered after this has hung: that is a failure, not a slow test. */
const REQUEST_DEADLINE_MS = 10_000;

type Caller = 'anon' | 'user' | 'admin' | 'agent' | 'api-token';

describe('hostile requests to every route', () => {
  let t: TestApp;
  let admin: Person;
  let adminEmail: string;
  const ids: string[] = [];
  let tables: string[] = [];
  const credentials = new Map<Caller, Record<string, string>>();
  let tried = 0;

  async function rowCounts(): Promise<Map<string, number>> {
    const select = tables.map((name) => `(select count(*) from "${name}")::int as "${name}"`).join(', ');
    const [row] = await queryRows<Record<string, number>>(t.database.db, sql.raw(`select ${select}`));
    return new Map(Object.entries(row ?? {}));
  }

  /** Fresh callers for each route: a previous route's fuzzing may have signed one out or revoked it. */
  async function refreshCallers(): Promise<void> {
    admin = await signIn(t, { email: adminEmail, password: PASSWORD });
    const user = await createUser(t, admin);
    const agent = await createAgentWithToken(t, admin, { owner: user });
    const other = await createAgentWithToken(t, admin);
    ids.push(agent.agent.id, other.agent.id, user.id, agent.prefix);
    credentials.set('anon', {});
    credentials.set('user', user.headers);
    credentials.set('admin', admin.headers);
    credentials.set('agent', { authorization: `Bearer ${accessTokenFor(t, agent)}` });
    credentials.set('api-token', { authorization: `Bearer ${other.token}` });
  }

  beforeAll(async () => {
    // Rate limits would turn most generated requests into 429s and hide the routes behind them.
    t = await createTestApp({ config: { RATE_LIMIT_ANON: 1_000_000, RATE_LIMIT_AUTHENTICATED: 1_000_000 } });
    const first = await signInAdmin(t);
    adminEmail = first.email;
    tables = (
      await queryRows<{ name: string }>(
        t.database.db,
        sql`select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
         where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relispartition order by 1`,
      )
    )
      .map((r) => r.name)
      .filter((name) => !MAY_GROW_ON_REFUSAL.has(name));
    expect(tables.length).toBeGreaterThan(5);
  });
  afterAll(async () => {
    console.info(`route fuzz: ${tried} requests over ${RUNS} runs per route`);
    await t.close();
  });

  it('covers every declared route', () => {
    expect(fuzzable().length).toBeGreaterThan(40);
  });

  function fuzzable() {
    return t.routes.filter((r) => r.auth !== undefined && r.method !== 'HEAD' && r.method !== 'OPTIONS');
  }

  it(
    'answers every generated request below 500, without leaks, and writes nothing when it refuses',
    { timeout: 20 * 60_000 },
    async () => {
      for (const route of fuzzable()) {
        await refreshCallers();
        const request = fc.record({
          caller: fc.constantFrom<Caller>('anon', 'user', 'admin', 'agent', 'api-token'),
          params: fc.array(fc.oneof(fc.constantFrom(...ids), pathSegment()), { minLength: 4, maxLength: 4 }),
          query: fc.dictionary(fc.constantFrom(...FIELD_NAMES), queryValue(), { maxKeys: 4 }),
          body: fc.option(hostileValue(FIELD_NAMES), { nil: undefined }),
          encoding: fc.constantFrom('json', 'form', 'text'),
        });
        await fc.assert(
          fc.asyncProperty(request, async ({ caller, params, query, body, encoding }) => {
            let index = 0;
            const url = route.url.replace(/:[a-z_]+/g, () =>
              encodeURIComponent(wellFormed(params[index++ % params.length] ?? 'x')),
            );
            // Event streams stay open for minutes: ask for the snapshot only.
            const search = new URLSearchParams(STREAMING.test(route.url) ? { ...query, once: '1' } : query).toString();
            const before = await rowCounts();
            const res = await withDeadline(
              `${route.method} ${route.url}`,
              t.app.inject({
                method: route.method as 'GET',
                url: search ? `${url}?${search}` : url,
                headers: { ...credentials.get(caller), ...contentType(encoding, body) },
                ...(body === undefined || route.method === 'GET' ? {} : { payload: encode(encoding, body) }),
              }),
            );
            tried += 1;
            const where = `${route.method} ${route.url} as ${caller} → ${res.statusCode} ${res.body.slice(0, 300)}`;
            expect(res.statusCode, where).toBeLessThan(500);
            if (res.statusCode >= 400) {
              expectNoLeak(res, where);
              const after = await rowCounts();
              const grown = [...after].filter(([table, count]) => count !== before.get(table));
              expect(grown, `${where}: rows written by a refused request`).toEqual([]);
            }
          }),
          { numRuns: RUNS, endOnFailure: true },
        );
      }
      // Prototype pollution through any body would show here, in this process.
      expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
      expect(Object.prototype).not.toHaveProperty('isAdmin');
      // And the app still serves.
      expect((await t.app.inject('/readyz')).statusCode).toBe(200);
    },
  );
});

async function withDeadline<T>(what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not answer within ${REQUEST_DEADLINE_MS} ms`)),
      REQUEST_DEADLINE_MS,
    );
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** encodeURIComponent refuses lone surrogates; a browser would send U+FFFD. */
function wellFormed(value: string): string {
  return value.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

function contentType(encoding: string, body: unknown): Record<string, string> {
  if (body === undefined) return {};
  if (encoding === 'form') return { 'content-type': 'application/x-www-form-urlencoded' };
  if (encoding === 'text') return { 'content-type': 'text/plain' };
  return { 'content-type': 'application/json' };
}

function encode(encoding: string, body: unknown): string {
  if (encoding === 'form' && body && typeof body === 'object' && !Array.isArray(body))
    return new URLSearchParams(
      Object.entries(body as Record<string, unknown>).map(([k, v]): [string, string] => [
        k,
        typeof v === 'string' ? v : json(v, ''),
      ]),
    ).toString();
  // A literal "__proto__" key survives: JSON.stringify of a parsed object keeps own keys.
  return json(body, 'null');
}

/** JSON.stringify answers undefined for undefined (its type says string). */
function json(value: unknown, fallback: string): string {
  const text = JSON.stringify(value) as string | undefined;
  return text ?? fallback;
}

/** Refusals carry the error envelope (or an HTML page): never a stack trace or SQL. */
function expectNoLeak(res: LightMyRequestResponse, where: string): void {
  expect(/\bat [\w.<>]+ \(|node_modules|\.ts:\d+/.test(res.body), `${where}: stack trace`).toBe(false);
  const sqlText = /\b(select|insert into|update|delete from)\b.*\b(from|values|set|where)\b/i;
  expect(sqlText.test(res.body), `${where}: SQL text`).toBe(false);
}
