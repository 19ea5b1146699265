// npm run bench:search — full-text search over 1,000,000 stored messages on Postgres (100,000 on PGlite):
// p50/p99 of GET /api/v1/search/messages over HTTP for four query shapes, as a person, an agent and a server
// admin, beside the bare SQL match of the same words in the same run (issue 23's target: p99 < 100 ms).
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { buildApp } from '../src/app.js';
import { envSchema, testConfig, type Config } from '../src/config.js';
import { openDatabase, queryRows, type Database } from '../src/db/client.js';
import { runMigrations } from '../src/db/migrate.js';
import { sessionCookieName } from '../src/identity/http/session-cookie.js';
import { sha256 } from '../src/lib/crypto.js';
import { closeApp } from '../src/server.js';
import { createBulkFleet } from './lib/bulk-fleet.js';
import { createHistogram } from './lib/latency.js';
import { BENCH_SECRETS, withDb } from './lib/processes.js';
import { fmt, machineLine, table, writeSection } from './lib/report.js';
import { countMessages, fillMessages, RARE_WORD } from './lib/search-corpus.js';

const POSTGRES_MESSAGES = Number(process.env['BENCH_SEARCH_MESSAGES'] ?? 1_000_000);
const PGLITE_MESSAGES = Number(process.env['BENCH_SEARCH_PGLITE_MESSAGES'] ?? 100_000);
const TENANTS = 100;
const ROOMS_PER_TENANT = 10;
const AGENT_ROOMS = 5;
const REQUESTS = Number(process.env['BENCH_SEARCH_REQUESTS'] ?? 200);
const WARMUP = 20;
const ADMIN_URL = process.env['BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SKIP_PGLITE = process.env['BENCH_SEARCH_SKIP_PGLITE'] === '1';
const DEFAULT_RANK_WINDOW = envSchema.shape.SEARCH_RANK_WINDOW.parse(undefined);

const SHAPES = [
  { shape: 'common word', q: 'error' },
  { shape: 'rare word', q: RARE_WORD },
  { shape: 'phrase', q: '"deploy failed"' },
  { shape: 'two terms', q: 'database timeout' },
];

interface Caller {
  label: string;
  headers: Record<string, string>;
  /** The rooms it reads, for the bare SQL baseline (undefined: every room). */
  roomIds: string[] | undefined;
}

async function insertSession(database: Database, userId: string): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await database.db.execute(sql`
    insert into user_sessions (user_id, token_hash, expires_at)
    values (${userId}::uuid, ${sha256(token)}, now() + interval '1 day')`);
  return token;
}

/** 100 tenants × 10 rooms; the person reads their 10 and a team's 10 (2% of the messages); the agent 5. */
async function seed(database: Database, config: Config, messages: number): Promise<Caller[]> {
  const { agents } = await createBulkFleet(database, config, 1, {});
  const agent = agents[0]!;
  const [owner] = await queryRows<{ owner_id: string }>(
    database.db,
    sql`select owner_id from agents where id = ${agent.agentId}::uuid`,
  );
  const personId = owner!.owner_id;
  const others = await queryRows<{ id: string }>(
    database.db,
    sql`insert into users (email, name, role)
        select 'bench-search-' || g || '@example.com', 'Tenant ' || g, case when g = 0 then 'admin' else 'user' end
        from generate_series(0, ${TENANTS - 1}::int) g returning id`,
  );
  const [serverAdmin, teamOwner, ...rest] = others.map((r) => r.id);
  const tenants = [personId, teamOwner!, ...rest];
  const [team] = await queryRows<{ id: string }>(
    database.db,
    sql`insert into teams (name, owner_id) values ('Bench team', ${teamOwner}::uuid) returning id`,
  );
  await database.db.execute(
    sql`insert into team_members (team_id, user_id, role) values (${team!.id}::uuid, ${personId}::uuid, 'member')`,
  );
  const values = sql.join(
    tenants.flatMap((ownerId, i) =>
      Array.from(
        { length: ROOMS_PER_TENANT },
        (_, r) =>
          sql`(${`bench-${i}-${r}`}, ${`Bench ${i}-${r}`}, ${ownerId}::uuid, ${i === 1 ? team!.id : null}::uuid)`,
      ),
    ),
    sql`, `,
  );
  const rooms = await queryRows<{ id: string; owner_id: string; team_id: string | null }>(
    database.db,
    sql`insert into rooms (slug, name, owner_id, team_id) values ${values} returning id, owner_id, team_id`,
  );
  const personRooms = rooms.filter((r) => r.owner_id === personId || r.team_id === team!.id).map((r) => r.id);
  const agentRooms = rooms.filter((r) => r.owner_id === personId).slice(0, AGENT_ROOMS);
  for (const room of agentRooms)
    await database.db.execute(
      sql`insert into room_members (room_id, agent_id) values (${room.id}::uuid, ${agent.agentId}::uuid)`,
    );
  const started = performance.now();
  await fillMessages(
    database,
    rooms.map((r) => r.id),
    Math.ceil(messages / rooms.length),
  );
  console.log(
    `${database.kind}: ${fmt(await countMessages(database))} messages in ${fmt((performance.now() - started) / 1000, 1)} s`,
  );
  const cookie = (token: string) => ({ cookie: `${sessionCookieName(config)}=${token}` });
  return [
    { label: 'person (20 rooms)', headers: cookie(await insertSession(database, personId)), roomIds: personRooms },
    {
      label: `agent (${AGENT_ROOMS} rooms)`,
      headers: { authorization: `Bearer ${agent.jwt}` },
      roomIds: agentRooms.map((r) => r.id),
    },
    {
      label: 'server admin (every room)',
      headers: cookie(await insertSession(database, serverAdmin!)),
      roomIds: undefined,
    },
  ];
}

async function timeIt(work: () => Promise<void>) {
  for (let i = 0; i < WARMUP; i++) await work();
  const histogram = createHistogram();
  for (let i = 0; i < REQUESTS; i++) {
    const t = performance.now();
    await work();
    histogram.record(performance.now() - t);
  }
  return { p50: histogram.percentile(50), p99: histogram.percentile(99) };
}

/** The match alone, as any search must do it: GIN lookup, rank, top 20; no HTTP, auth, tenancy join or snippets. */
function bareQuery(q: string, roomIds: string[] | undefined) {
  const rooms = roomIds
    ? sql`and room_id in (${sql.join(
        roomIds.map((id) => sql`${id}::uuid`),
        sql`, `,
      )})`
    : sql``;
  return sql`select id from messages, websearch_to_tsquery('english', ${q}::text) query
             where search_vector @@ query ${rooms}
             order by ts_rank_cd(search_vector, query) desc, created_at desc, id desc limit 21`;
}

async function measure(label: string, database: Database, messages: number) {
  const config = testConfig({ ...BENCH_SECRETS, RATE_LIMIT_AUTHENTICATED: 1_000_000 });
  const callers = await seed(database, config, messages);
  const { app } = await buildApp({ config, database });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  const rows: (string | number)[][] = [];
  try {
    for (const caller of callers)
      for (const { shape, q } of SHAPES) {
        const url = `${base}/api/v1/search/messages?q=${encodeURIComponent(q)}&limit=20`;
        let found = 0;
        const last: { next: string | null } = { next: null };
        const route = await timeIt(async () => {
          const res = await fetch(url, { headers: caller.headers });
          if (res.status !== 200) throw new Error(`${res.status} ${await res.text()}`);
          const page = (await res.json()) as { results: unknown[]; next_cursor: string | null };
          found = page.results.length;
          last.next = page.next_cursor;
        });
        const [visible] = await queryRows<{ n: string | number }>(
          database.db,
          sql`select count(*) as n from messages, websearch_to_tsquery('english', ${q}::text) query
              where search_vector @@ query ${
                caller.roomIds
                  ? sql`and room_id in (${sql.join(
                      caller.roomIds.map((id) => sql`${id}::uuid`),
                      sql`, `,
                    )})`
                  : sql``
              }`,
        );
        const bare = await timeIt(async () => {
          await queryRows(database.db, bareQuery(q, caller.roomIds));
        });
        let secondPage = '—';
        if (last.next) {
          const nextUrl = `${url}&cursor=${encodeURIComponent(last.next)}`;
          const page2 = await timeIt(async () => {
            const res = await fetch(nextUrl, { headers: caller.headers });
            if (res.status !== 200) throw new Error(`${res.status} ${await res.text()}`);
            await res.arrayBuffer();
          });
          secondPage = fmt(page2.p99, 1);
        }
        const row = [
          label,
          caller.label,
          `${shape} (\`${q}\`)`,
          fmt(Number(visible?.n ?? 0)),
          fmt(found),
          fmt(route.p50, 1),
          fmt(route.p99, 1),
          secondPage,
          fmt(bare.p50, 1),
          fmt(bare.p99, 1),
        ];
        console.log(row.join(' | '));
        rows.push(row);
      }
  } finally {
    await closeApp(app);
  }
  return rows;
}

const rows: (string | number)[][] = [];
const name = `agenthub_bench_search_${randomBytes(4).toString('hex')}`;
const admin = new pg.Client({ connectionString: ADMIN_URL });
let postgres = true;
try {
  await admin.connect();
  await admin.query(`create database "${name}"`);
} catch (error) {
  postgres = false;
  console.warn(`Postgres unavailable (${(error as Error).message}): PGlite only`);
}
if (postgres) {
  const database = await openDatabase({ url: withDb(ADMIN_URL, name) });
  try {
    await runMigrations(database);
    rows.push(...(await measure(`Postgres, ${fmt(POSTGRES_MESSAGES)}`, database, POSTGRES_MESSAGES)));
  } finally {
    await database.close();
    await admin.query(`drop database if exists "${name}" with (force)`);
    await admin.end();
  }
}
if (!SKIP_PGLITE) {
  const database = await openDatabase({});
  await runMigrations(database);
  rows.push(...(await measure(`PGlite, ${fmt(PGLITE_MESSAGES)}`, database, PGLITE_MESSAGES)));
  await database.close();
}

const markdown = `## Search (\`npm run bench:search\`)

Run ${new Date().toISOString()} on ${machineLine()}. ${fmt(TENANTS)} tenants × ${ROOMS_PER_TENANT} rooms, the messages
spread evenly over them and over a year, written by one \`insert … select generate_series\` with words drawn from a
~350-word vocabulary of team chat (skewed: a few words are everywhere, most are rare; \`${RARE_WORD}\` is planted in
one message in 5,000). The person reads 20 rooms (their own 10 and a team's 10: 2% of the messages), the agent is a
member of ${AGENT_ROOMS}, the server admin reads every room. Each cell: ${REQUESTS} sequential requests after ${WARMUP}
warm-up ones, over HTTP (keep-alive) to an app in the same process, \`limit=20\`. "page 2" is the next page through
\`next_cursor\`. Baseline, in the same run: the bare SQL match of the same words in the same rooms (GIN lookup, rank,
top 21; no HTTP, auth, tenancy subquery or snippets; over every room for the admin). The route ranks only the
newest ${fmt(DEFAULT_RANK_WINDOW)} matches (\`SEARCH_RANK_WINDOW\`); the bare SQL ranks them all, so for the admin's common
word it is the cost of the search without that bound.

${table(
  [
    'database, messages',
    'caller',
    'query',
    'matches it may read',
    'results',
    'route p50 ms',
    'route p99 ms',
    'page 2 p99 ms',
    'bare SQL p50 ms',
    'bare SQL p99 ms',
  ],
  rows,
)}

- Target (issue 23): p99 < 100 ms on Postgres over 1,000,000 messages.
`;
writeSection('search', markdown);
console.log(markdown);
