import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/client.js';
import { SEED_ADMIN_EMAIL } from '../../src/db/seed.js';
import type { RouteModule } from '../../src/http/route-module.js';
import { closeApp, startServer } from '../../src/server.js';
import { startTestServer, type TestApp } from '../harness/app.js';
import { freePort, spawnCli } from '../harness/cli.js';
import { preloadEmbeddedDatabase } from '../harness/data-dir.js';
import { queryRows } from '../harness/sql.js';
import { makeTempDir } from '../harness/temp-dir.js';
import { until } from '../harness/sockets.js';

/** True when a TCP connection to the port is accepted. */
function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function portOf(url: string): number {
  return Number(new URL(url).port);
}

// Opens a PGlite data directory and builds a whole app: seconds alone, much longer on a loaded machine.
describe('startServer', { timeout: 120_000 }, () => {
  const dir = makeTempDir('start-server');
  afterAll(() => dir.remove());

  it('opens the embedded database in DATA_DIR, serves, and on close() stops listening and closes the database', async () => {
    await preloadEmbeddedDatabase(dir.path);
    const config = loadConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      HOST: '127.0.0.1',
      PORT: '0',
      DATA_DIR: dir.path,
    });
    const server = await startServer(config);
    const address = server.app.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    expect(port).toBeGreaterThan(0);
    expect(server.database.kind).toBe('pglite');

    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(200);

    await server.close();
    expect(server.database.closed).toBe(true);
    expect(await canConnect(port)).toBe(false);
    await server.close(); // idempotent
  });

  // With REDIS_URL the app opens three Redis connections while it is built, before it listens.
  it.runIf(process.env['REDIS_URL'])(
    'leaves nothing open when it cannot listen (the port is taken): no Redis connection, the data directory free',
    async () => {
      const taken = createServer();
      await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
      const address = taken.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      const sockets = () => process.getActiveResourcesInfo().filter((kind) => kind === 'TCPSocketWrap').length;
      const before = sockets();
      const config = loadConfig({
        NODE_ENV: 'test',
        LOG_LEVEL: 'silent',
        HOST: '127.0.0.1',
        PORT: String(port),
        DATA_DIR: dir.path,
        REDIS_URL: process.env['REDIS_URL'],
      });
      await expect(startServer(config)).rejects.toMatchObject({ code: 'EADDRINUSE' });
      // Its Redis connections were quit (each closes once Redis acknowledges). At most as many sockets as
      // before: an earlier test's keep-alive connection may close meanwhile.
      await until('the Redis connections closed', () => sockets() <= before, 5_000);
      // The data directory is free again: another start on it succeeds.
      const retry = await startServer({ ...config, PORT: 0 });
      await retry.close();
      await new Promise<void>((resolve) => taken.close(() => resolve()));
    },
  );
});

describe('closeApp (the graceful close of startServer)', () => {
  let t: TestApp & { url: string };
  let entered!: () => void;
  const handlerEntered = new Promise<void>((resolve) => (entered = resolve));
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));

  const slowRoutes: RouteModule = (app) => {
    app.get('/test/slow', { config: { auth: ['anon'] } }, async () => {
      entered();
      await released;
      return { finished: true };
    });
  };

  beforeAll(async () => {
    t = await startTestServer({ extraRoutes: [slowRoutes] });
  });
  afterAll(() => t.close());

  it('lets an in-flight request finish with 200 while refusing new connections', async () => {
    const port = portOf(t.url);
    // fetch keeps its connection alive after the response: close must not wait for the client to hang up.
    const inFlight = fetch(`${t.url}/test/slow`);
    await handlerEntered;

    let closed = false;
    const closing = closeApp(t.app).then(() => (closed = true));
    await new Promise((r) => setTimeout(r, 200));
    expect(closed).toBe(false);
    expect(await canConnect(port)).toBe(false);

    release();
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ finished: true });

    const releasedAt = performance.now();
    await closing;
    expect(performance.now() - releasedAt).toBeLessThan(1_000);
    expect(await canConnect(port)).toBe(false);
  });
});

describe('the agenthub CLI process', () => {
  const dir = makeTempDir('cli-serve');
  afterAll(() => dir.remove());

  async function serveOnce(env: Record<string, string>) {
    const serve = spawnCli(['serve'], env);
    try {
      await serve.waitForLine(/AgentHub listening/, 120_000);
      const base = `http://127.0.0.1:${env['PORT'] ?? ''}`;
      const health = await fetch(`${base}/healthz`);
      expect(health.status).toBe(200);
      const ready = await fetch(`${base}/readyz`);
      expect(await ready.json()).toEqual({ status: 'ready', checks: { db: 'ok' } });

      const started = performance.now();
      serve.child.kill('SIGTERM');
      const result = await serve.exited(30_000);
      expect(result, result.stderr).toMatchObject({ code: 0, signal: null });
      // Exit code 0 already means within SHUTDOWN_TIMEOUT_MS (close-with-grace exits 1 past it).
      expect(performance.now() - started).toBeLessThan(10_000);
      expect(result.stdout).toMatch(/shutting down/);
      return result;
    } finally {
      serve.child.kill('SIGKILL');
    }
  }

  // Two real processes on a fresh DATA_DIR (the first pays PGlite's initdb): slow on a busy machine.
  it(
    'seeds, then serves the seeded data, exits 0 on SIGTERM, and leaves the data intact',
    { timeout: 300_000 },
    async () => {
      const env = {
        NODE_ENV: 'development',
        LOG_LEVEL: 'info',
        HOST: '127.0.0.1',
        PORT: String(await freePort()),
        DATA_DIR: dir.path,
        SEED_ADMIN_PASSWORD: 'correct horse battery',
      };

      const seeded = await spawnCli(['seed'], env).exited(120_000);
      expect(seeded, seeded.stderr).toMatchObject({ code: 0 });
      expect(seeded.stdout).toContain(`Seeded: admin ${SEED_ADMIN_EMAIL}, 3 agents, 2 rooms.`);
      expect(seeded.stdout).not.toContain('correct horse battery');

      // A restart on the same DATA_DIR: the seed process closed the database, serve reopens it.
      const served = await serveOnce(env);
      // The development secrets were generated once, by the seed run, and then reused.
      expect(served.stdout).not.toMatch(/is not set: generated one/);

      const database = await openDatabase({ dataDir: join(dir.path, 'pglite') });
      try {
        const [row] = await queryRows<{ admins: number; agents: number; rooms: number }>(
          database.db,
          sql`select (select count(*)::int from users where email = ${SEED_ADMIN_EMAIL}) as admins,
                   (select count(*)::int from agents) as agents,
                   (select count(*)::int from rooms) as rooms`,
        );
        expect(row).toEqual({ admins: 1, agents: 3, rooms: 2 });
      } finally {
        await database.close();
      }
    },
  );
});
