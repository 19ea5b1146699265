// npm run bench:rooms [-- --instances 2] — realtime rooms: AgentHub against a bare socket.io broadcaster,
// idle sockets per instance and, with two instances, delivery across them through Redis.
import { execSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';
import { testConfig } from '../src/config.js';
import { openDatabase } from '../src/db/client.js';
import { runMigrations } from '../src/db/migrate.js';
import { createBulkFleet } from './lib/bulk-fleet.js';
import { BENCH_SECRETS as SECRETS, freePort, startProcess, withDb, type ServerProcess } from './lib/processes.js';
import { writeSection } from './lib/report.js';
import { idleRun, roomRuns, sustainsWithin, type RoomRuns, type RunSettings, type Target } from './lib/room-runs.js';
import { roomsReport } from './lib/rooms-report.js';

const env = process.env;
const { values: args } = parseArgs({ options: { instances: { type: 'string' } }, strict: false });
const INSTANCES = Number(args.instances ?? env['BENCH_INSTANCES'] ?? 1);
const ADMIN_URL = env['BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = env['BENCH_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const RATE = Number(env['BENCH_RATE'] ?? 200);
/**
 * One bench process decodes every delivery on one core: past ~20,000 socket.io
 * packets/s it, not the server, sets the latency. A room of N members therefore
 * runs at min(RATE, MAX_DELIVERIES / N) msg/s: 200 for 100 members, 20 for 1,000.
 */
const MAX_DELIVERIES = Number(env['BENCH_MAX_DELIVERIES'] ?? 20_000);
const CONNECTIONS = Number(env['BENCH_CONNECTIONS'] ?? 5000);
const settings: RunSettings = {
  sizes: (env['BENCH_ROOM_SIZES'] ?? '100,1000').split(',').map(Number),
  durationSeconds: Number(env['BENCH_DURATION'] ?? 10),
  rateFor: (members) => Math.max(1, Math.min(RATE, Math.floor(MAX_DELIVERIES / members))),
  senders: Number(env['BENCH_SENDERS'] ?? 4),
  bodyBytes: 128,
  drainMs: 3000,
  connectConcurrency: Number(env['BENCH_CONNECT_CONCURRENCY'] ?? 100),
  sweepMembers: Number(env['BENCH_SWEEP_MEMBERS'] ?? 100),
  sweepStart: Number(env['BENCH_SWEEP_START'] ?? 100),
  stepSeconds: Number(env['BENCH_STEP_DURATION'] ?? 5),
  // Fine steps: the ratio of the two sustained rates is only as precise as the step.
  sweepFactor: 1.2,
  sweepMaxSteps: 14,
  sweepP99LimitMs: 250,
};
const root = join(import.meta.dirname, '..');
const running = new Set<ServerProcess>();

async function start(command: string, args: string[], extraEnv: Record<string, string> = {}) {
  const server = await startProcess(command, args, { port: await freePort(), env: extraEnv });
  running.add(server);
  return server;
}

async function stop(...servers: ServerProcess[]) {
  for (const server of servers) {
    await server.stop();
    running.delete(server);
  }
}

/** AgentHub as deployed (built, NODE_ENV=production), limits raised so the load is not refused. */
const agentHub = (url: string, redis: Record<string, string> = { REDIS_URL: '' }) =>
  start(process.execPath, [join(root, 'bin/agenthub.js'), 'serve'], {
    ...SECRETS,
    ...redis,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    DATABASE_URL: url,
    SOCKET_EVENTS_PER_SECOND: '100000000',
    ACCESS_TOKEN_TTL: '1d',
    RATE_LIMIT_AUTHENTICATED: '100000000',
    RATE_LIMIT_ANON: '100000000',
  });
const bareSocketIo = () => start(process.execPath, ['--import', 'tsx', join(root, 'bench/servers/bare-socketio.ts')]);

/** Agents in one room per size (the first N of them), and the idle-socket agents in rooms of 10. */
async function prepare(url: string) {
  const database = await openDatabase({ url });
  await runMigrations(database);
  const config = testConfig({
    jwtSecret: SECRETS.JWT_SECRET,
    cookieSecret: SECRETS.COOKIE_SECRET,
    ACCESS_TOKEN_TTL: 86_400,
  });
  const sizes = [...new Set([...settings.sizes, settings.sweepMembers])];
  console.log(`creating ${Math.max(...sizes)} room agents and ${CONNECTIONS} idle-socket agents...`);
  const members = await createBulkFleet(database, config, Math.max(...sizes), { prefixRooms: sizes });
  const idle = await createBulkFleet(database, config, CONNECTIONS, { roomSize: 10 });
  await database.close();
  return { members, idle: idle.agents };
}

/** Two AgentHub processes on one database and the local Redis, under a prefix of their own. */
async function crossInstance(url: string, hubTarget: Target, prefix: string): Promise<RoomRuns> {
  const redis = { REDIS_URL, REDIS_PREFIX: prefix, SOCKET_TRANSPORTS: 'websocket' };
  const a = await agentHub(url, redis);
  const b = await agentHub(url, redis);
  try {
    const target = { ...hubTarget, label: 'AgentHub × 2', senderUrl: a.url, url: b.url };
    return await roomRuns(target, settings, { sweep: false });
  } finally {
    await stop(a, b);
  }
}

async function dropRedisKeys(prefix: string) {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  for await (const keys of redis.scanStream({ match: `${prefix}*`, count: 500 }) as AsyncIterable<string[]>)
    if (keys.length) await redis.del(...keys);
  redis.disconnect();
}

function checkFileLimit() {
  const limit = execSync('ulimit -n', { shell: '/bin/sh' }).toString().trim();
  const needed = CONNECTIONS + 1024;
  if (limit !== 'unlimited' && Number(limit) < needed)
    throw new Error(
      `ulimit -n is ${limit}; ${CONNECTIONS} sockets need at least ${needed} (run \`ulimit -n ${needed}\` first)`,
    );
}

async function main() {
  if (INSTANCES !== 1 && INSTANCES !== 2) throw new Error(`--instances must be 1 or 2, not ${INSTANCES}`);
  checkFileLimit();
  const benchDb = `agenthub_bench_rooms_${process.pid}`;
  const redisPrefix = `agenthub-bench-rooms-${process.pid}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    (cleaning ??= (async () => {
      await stop(...running);
      await admin.query(`drop database if exists "${benchDb}" with (force)`);
      await admin.end();
      if (INSTANCES === 2) await dropRedisKeys(redisPrefix);
    })());
  process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));
  await admin.query(`create database "${benchDb}"`);
  try {
    const url = withDb(ADMIN_URL, benchDb);
    const { members, idle } = await prepare(url);
    const pgVersion =
      (await admin.query<{ v: string }>(`select current_setting('server_version') as v`)).rows[0]?.v ?? '?';

    const bare = await bareSocketIo();
    const bareRuns = await roomRuns(
      {
        label: 'bare socket.io',
        url: bare.url,
        clients: (n) => Array.from({ length: n }, () => ({ query: { room: `room-${n}` } })),
        roomId: (n) => `room-${n}`,
      },
      settings,
      { sweep: true },
    );
    await stop(bare);
    const freshBare = await bareSocketIo();
    const idleRooms = idle.map((_, i) => ({ query: { room: `idle-${Math.floor(i / 10)}` } }));
    const bareIdle = await idleRun(freshBare, idleRooms, settings.connectConcurrency);
    await stop(freshBare);

    const hubTarget: Target = {
      label: 'AgentHub',
      url: '',
      clients: (n) => members.agents.slice(0, n).map((a) => ({ token: a.jwt })),
      roomId: (n) => members.prefixRooms.get(n)!,
    };
    const hub = await agentHub(url);
    const hubRuns = await roomRuns({ ...hubTarget, url: hub.url }, settings, { sweep: true });
    await stop(hub);

    console.log(`holding ${CONNECTIONS} authenticated sockets on a fresh AgentHub...`);
    const fresh = await agentHub(url);
    const hubIdle = await idleRun(
      fresh,
      idle.map((a) => ({ token: a.jwt })),
      settings.connectConcurrency,
    );
    await stop(fresh);

    const cross = INSTANCES === 2 ? await crossInstance(url, hubTarget, redisPrefix) : undefined;
    const check = new pg.Client({ connectionString: url });
    await check.connect();
    const storedRows = Number((await check.query<{ n: string }>('select count(*) as n from messages')).rows[0]?.n);
    await check.end();

    const md = roomsReport({
      settings: { ...settings, rate: RATE, maxDeliveries: MAX_DELIVERIES, connections: CONNECTIONS },
      sustains: sustainsWithin(settings.sweepP99LimitMs),
      hub: hubRuns,
      bare: bareRuns,
      ...(cross ? { cross } : {}),
      storedRows,
      hubIdle,
      bareIdle,
      pgVersion,
    });
    console.log(`\n${md}\n`);
    writeSection('rooms', md);
  } finally {
    await cleanup();
  }
}

await main();
