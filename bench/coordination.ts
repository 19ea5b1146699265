// npm run bench:coordination — claim and release round trips and inbox reads at 100 agents in one room, beside a
// plain room send's round trip in the same run (issue 23's target: claim/release and inbox p99 ≤ 1.5 × the send's).
import { join } from 'node:path';
import pg from 'pg';
import type { Socket } from 'socket.io-client';
import { testConfig } from '../src/config.js';
import { openDatabase } from '../src/db/client.js';
import { runMigrations } from '../src/db/migrate.js';
import { createBulkFleet } from './lib/bulk-fleet.js';
import { createHistogram, type Histogram } from './lib/latency.js';
import { BENCH_SECRETS as SECRETS, freePort, startProcess, withDb } from './lib/processes.js';
import { fmt, machineLine, table, writeSection } from './lib/report.js';
import { closeAll, connectMany, quiesce } from './lib/room-clients.js';

const env = process.env;
const ADMIN_URL = env['BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const AGENTS = Number(env['BENCH_COORDINATION_AGENTS'] ?? 100);
/** Agents working at once; each loops send → claim → release, one at a time, for the duration. */
const WORKERS = Number(env['BENCH_COORDINATION_WORKERS'] ?? 10);
const DURATION_S = Number(env['BENCH_DURATION'] ?? 20);
const root = join(import.meta.dirname, '..');

type Operation = 'send' | 'claim' | 'release' | 'mention' | 'inbox' | 'ack';

interface Worker {
  socket: Socket;
  jwt: string;
  /** The agent this one mentions (the next worker), so every worker has an inbox to read. */
  mentions: string;
}

async function timed(h: Histogram, work: () => Promise<{ ok?: boolean }>): Promise<void> {
  const started = performance.now();
  const ack = await work();
  h.record(performance.now() - started);
  if (!ack.ok) throw new Error(`refused: ${JSON.stringify(ack)}`);
}

/**
 * Each worker is one agent: a room send, then a claim of its own task and its release, then a send mentioning the
 * next worker, a read of its own inbox (GET /api/v1/inbox) and the acknowledgement of what it found; all acked.
 */
async function coordinationRoundTrips(workers: Worker[], roomId: string, url: string) {
  const h: Record<Operation | 'claim+release', Histogram> = {
    send: createHistogram(),
    claim: createHistogram(),
    release: createHistogram(),
    'claim+release': createHistogram(),
    mention: createHistogram(),
    inbox: createHistogram(),
    ack: createHistogram(),
  };
  const until = performance.now() + DURATION_S * 1000;
  const ask = (s: Socket, event: string, payload: object) =>
    s.timeout(30_000).emitWithAck(event, payload) as Promise<{ ok?: boolean; claim?: { id: string } }>;
  const readInbox = async (jwt: string) => {
    const response = await fetch(`${url}/api/v1/inbox?limit=50`, { headers: { authorization: `Bearer ${jwt}` } });
    const body = (await response.json()) as { items?: { message: { id: string } }[] };
    return { ok: response.ok, ids: (body.items ?? []).map((item) => item.message.id) };
  };
  const worker = async ({ socket, jwt, mentions }: Worker, w: number) => {
    for (let i = 0; performance.now() < until; i++) {
      await timed(h.send, () => ask(socket, 'message:send', { room_id: roomId, body: `bench|${performance.now()}|` }));
      const pair = performance.now();
      let claimId = '';
      await timed(h.claim, async () => {
        const ack = await ask(socket, 'claim', { room_id: roomId, resource: `task:w${w}-${i}`, ttl_seconds: 60 });
        claimId = ack.claim?.id ?? '';
        return ack;
      });
      await timed(h.release, () => ask(socket, 'claim:release', { room_id: roomId, claim_id: claimId }));
      h['claim+release'].record(performance.now() - pair);
      await timed(h.mention, () => ask(socket, 'message:send', { room_id: roomId, body: `@${mentions} bench ${i}` }));
      let ids: string[] = [];
      await timed(h.inbox, async () => {
        const read = await readInbox(jwt);
        ids = read.ids;
        return read;
      });
      if (ids.length > 0) await timed(h.ack, () => ask(socket, 'inbox:ack', { message_ids: ids }));
    }
  };
  await Promise.all(workers.map((x, w) => worker(x, w)));
  return h;
}

function report(h: Awaited<ReturnType<typeof coordinationRoundTrips>>, pgVersion: string): string {
  const send99 = h.send.percentile(99);
  const row = (name: string, x: Histogram) => [
    name,
    fmt(x.count),
    fmt(x.percentile(50), 2),
    fmt(x.percentile(99), 2),
    fmt(x.max, 1),
    name === 'message:send' ? '—' : `${fmt(x.percentile(99) / send99, 2)}×`,
  ];
  const met = (x: Histogram) => x.percentile(99) <= 1.5 * send99;
  return [
    '## Coordination: claims and inbox reads beside a room send',
    '',
    `\`npm run bench:coordination\`, ${new Date().toISOString().slice(0, 10)}: ${machineLine()}, Postgres ${pgVersion}.`,
    `One built AgentHub process (NODE_ENV=production); ${AGENTS} agents connected over socket.io (websocket) in one`,
    `room; ${WORKERS} of them loop for ${DURATION_S} s, each waiting for every ack: \`message:send\` (broadcast to the`,
    `${AGENTS} members), \`claim\` of a task of its own (granted; \`claim:created\` to the room), \`claim:release\``,
    '(`claim:released` to the room), a send mentioning the next worker (`@bulk-N`: a `message_recipients` row in',
    "the send's statement), `GET /api/v1/inbox` of its own inbox (HTTP, keep-alive) and `inbox:ack` of what it found.",
    'Round trip = emit to ack (or request to response), in milliseconds, measured by the client.',
    '',
    table(
      ['operation', 'samples', 'p50 ms', 'p99 ms', 'max ms', 'p99 / send p99'],
      [
        row('message:send', h.send),
        row('claim', h.claim),
        row('claim:release', h.release),
        row('claim + release', h['claim+release']),
        row('message:send with @mention', h.mention),
        row('GET /api/v1/inbox', h.inbox),
        row('inbox:ack', h.ack),
      ],
    ),
    '',
    `Target (issue 23): claim, release and inbox p99 ≤ 1.5 × the send's p99 — claim ${met(h.claim) ? 'met' : 'missed'},`,
    `release ${met(h.release) ? 'met' : 'missed'}, inbox read ${met(h.inbox) ? 'met' : 'missed'}, inbox ack ${met(h.ack) ? 'met' : 'missed'}.`,
    'A claim of an exact resource (these tasks) is one database statement after the room read and one membership read',
    "(a socket send reads neither: the socket knows its rooms): `claim_exact_resource` takes the room's claims lock, reads the live claims and inserts",
    '(drizzle/0005, ADR 0019); a glob claim, or any claim while a live glob might overlap it, is five round trips',
    "(begin, lock, live claims, insert, commit). All workers claim in one room, so their claims queue on that room's",
    'lock one after another: the worst case of per-room serialization. Before (2026-12-07, first run): five round',
    'trips and the membership read twice, claim p99 2.54× the send’s.',
  ].join('\n');
}

async function main() {
  const benchDb = `agenthub_bench_coordination_${process.pid}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`create database "${benchDb}"`);
  let hub: Awaited<ReturnType<typeof startProcess>> | undefined;
  let sockets: Socket[] = [];
  try {
    const url = withDb(ADMIN_URL, benchDb);
    const database = await openDatabase({ url });
    await runMigrations(database);
    const config = testConfig({
      jwtSecret: SECRETS.JWT_SECRET,
      cookieSecret: SECRETS.COOKIE_SECRET,
      ACCESS_TOKEN_TTL: 86_400,
    });
    const fleet = await createBulkFleet(database, config, AGENTS, { prefixRooms: [AGENTS] });
    await database.close();
    const roomId = fleet.prefixRooms.get(AGENTS)!;
    hub = await startProcess(process.execPath, [join(root, 'bin/agenthub.js'), 'serve'], {
      port: await freePort(),
      env: {
        ...SECRETS,
        REDIS_URL: '',
        NODE_ENV: 'production',
        LOG_LEVEL: 'warn',
        HOST: '127.0.0.1',
        DATABASE_URL: url,
        SOCKET_EVENTS_PER_SECOND: '100000000',
        ACCESS_TOKEN_TTL: '1d',
        RATE_LIMIT_AUTHENTICATED: '100000000',
        RATE_LIMIT_ANON: '100000000',
      },
    });
    const connected = await connectMany(
      hub.url,
      fleet.agents.map((a) => ({ token: a.jwt })),
      50,
    );
    if (connected.failed) throw new Error(`${connected.failed} sockets failed: ${connected.firstError}`);
    sockets = connected.sockets;
    console.log(`${sockets.length} agents connected; running ${DURATION_S} s with ${WORKERS} working...`);
    const workers = fleet.agents.slice(0, WORKERS).map((a, w) => ({
      socket: sockets[w]!,
      jwt: a.jwt,
      mentions: `bulk-${(w + 1) % WORKERS}`, // createBulkFleet names its agents bulk-0, bulk-1, … in order
    }));
    const h = await coordinationRoundTrips(workers, roomId, hub.url);
    await quiesce();
    const pgVersion =
      (await admin.query<{ v: string }>(`select current_setting('server_version') as v`)).rows[0]?.v ?? '?';
    const md = report(h, pgVersion);
    console.log(`\n${md}\n`);
    writeSection('coordination', md);
  } finally {
    closeAll(sockets);
    await hub?.stop();
    await admin.query(`drop database if exists "${benchDb}" with (force)`);
    await admin.end();
  }
}

await main();
