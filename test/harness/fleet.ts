import { randomBytes } from 'node:crypto';
import { connect, createServer, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import type { Config } from '../../src/config.js';
import type { Database } from '../../src/db/client.js';
import { startTestServer, type TestApp } from './app.js';
import { createTestDatabase } from './database.js';

/** The Redis every scale test shares with other runs: keys go under a prefix of the fleet's own. */
export const REDIS_URL = process.env['REDIS_URL'];

export interface Instance extends TestApp {
  url: string;
  /**
   * Dies as SIGKILL would look to its peers: its client connections are reset
   * and it says nothing more to Redis (its presence entries stay until they expire).
   */
  kill(): Promise<void>;
}

export interface Fleet {
  /** The REDIS_PREFIX of every instance: no key or channel is shared with other test files. */
  prefix: string;
  database: Database;
  instances: Instance[];
  /** Starts one more instance on the fleet's database and Redis prefix. */
  start(config?: Partial<Config>): Promise<Instance>;
  /** Keys under the fleet's prefix, e.g. to see what the instances wrote. */
  keys(): Promise<string[]>;
  /** Closes every instance still running, deletes the fleet's keys, then the database. */
  close(): Promise<void>;
}

/** `count` instances sharing one database (PGlite or a Postgres copy) and the local Redis. */
export async function startFleet(count: number, config: Partial<Config> = {}): Promise<Fleet> {
  if (!REDIS_URL) throw new Error('startFleet needs REDIS_URL');
  const prefix = `agenthub-test-${randomBytes(5).toString('hex')}`;
  const database = await createTestDatabase();
  const instances: Instance[] = [];
  const admin = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });

  async function start(extra: Partial<Config> = {}): Promise<Instance> {
    const t = await startTestServer({
      database,
      config: { REDIS_URL, REDIS_PREFIX: prefix, ...config, ...extra },
    });
    const connections = new Set<Socket>();
    t.app.server.on('connection', (socket: Socket) => {
      connections.add(socket);
      socket.on('close', () => connections.delete(socket));
    });
    let closing: Promise<void> | undefined;
    const close = () => (closing ??= t.close());
    const instance: Instance = {
      ...t,
      close,
      async kill() {
        const redis = t.ctx.redis;
        if (redis) for (const client of [redis.commands, redis.pub, redis.sub]) client.disconnect();
        for (const socket of connections) socket.resetAndDestroy();
        await close();
      },
    };
    instances.push(instance);
    return instance;
  }

  async function keys(): Promise<string[]> {
    if (admin.status === 'wait') await admin.connect();
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      found.push(...batch);
      cursor = next;
    } while (cursor !== '0');
    return found;
  }

  for (let i = 0; i < count; i++) await start();
  return {
    prefix,
    database,
    instances,
    start,
    keys,
    async close() {
      await Promise.allSettled(instances.map((i) => i.close()));
      const mine = await keys().catch(() => []);
      if (mine.length > 0) await admin.del(...mine);
      admin.disconnect();
      await database.close();
    },
  };
}

/** `until` for checks that must ask something (an ack, a request): polls `check` until it is truthy. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface Balancer {
  /** http://127.0.0.1:<port>: what clients are given instead of an instance's address. */
  url: string;
  /** New connections go to the first of these (a health check taking a dead instance out of rotation). */
  route(to: Instance[]): void;
  close(): Promise<void>;
}

/**
 * A TCP load balancer in front of the fleet, as nginx or Traefik would be
 * without sticky sessions: each new connection goes to the instance in front.
 */
export async function startBalancer(to: Instance[]): Promise<Balancer> {
  let order = to.map((instance) => Number(new URL(instance.url).port));
  const live = new Set<Socket>();
  const server = createServer((client) => {
    live.add(client);
    client.on('close', () => live.delete(client));
    client.on('error', () => undefined);
    const port = order[0];
    if (port === undefined) {
      client.destroy();
      return;
    }
    const upstream = connect(port, '127.0.0.1');
    live.add(upstream);
    upstream.on('close', () => {
      live.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the balancer did not bind a TCP port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    route(next) {
      order = next.map((instance) => Number(new URL(instance.url).port));
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of live) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
