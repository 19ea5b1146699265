/**
 * Takes the screenshots in docs/screenshots/: a fresh app on an in-memory
 * database, seeded with a few agents, metrics, a room and a team, photographed
 * by Debian's chromium. Run: `npx tsx scripts/screenshots.ts`.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { openDatabase } from '../src/db/client.js';
import { runMigrations } from '../src/db/migrate.js';
import { packageRoot } from '../src/lib/paths.js';
import { addUser, bearer, signIn, type Person } from '../test/harness/identity.js';
import { createRoom, createRoomAgent, postMessage } from '../test/harness/rooms.js';
import { bootstrapAdmin, launchBrowser, openPage, startWebServer, type WebServer } from '../test/web/browser.js';

const OUT = join(packageRoot, 'docs', 'screenshots');

async function json<T>(res: Response): Promise<T> {
  if (!res.ok) throw new Error(`${res.url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Links a device as an agent would, approved by `admin`; returns its id and JWT. */
async function linkDevice(server: WebServer, admin: Person, name: string, serverId: string) {
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(server.url + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
  const grant = await json<{ user_code: string; device_code: string }>(
    await post('/api/v1/agents/register', {
      device_name: name,
      device_info: { server_id: serverId, hostname: `${serverId}.lan`, os: 'linux', arch: 'x64', version: '1.4.0' },
    }),
  );
  await json(await post('/api/v1/agent-link/approve', { user_code: grant.user_code }, admin.headers));
  const linked = await json<{ access_token: string; agent: { id: string } }>(
    await fetch(`${server.url}/api/v1/agents/status?device_code=${grant.device_code}`),
  );
  return { id: linked.agent.id, jwt: linked.access_token, pending: post };
}

/** An hour of minute samples that look like a busy machine. */
function hourOfSamples(seed: number) {
  const now = Math.floor(Date.now() / 1000);
  let rx = 1e9;
  let tx = 4e8;
  return Array.from({ length: 60 }, (_, i) => {
    const wave = Math.sin((i + seed) / 6);
    rx += 2e6 + 1.5e6 * wave;
    tx += 8e5 + 5e5 * Math.cos((i + seed) / 5);
    return {
      timestamp: now - (59 - i) * 60,
      metrics: {
        cpu: { usage: Math.round(35 + 25 * wave + (i % 7)) },
        memory: { usage: Math.round(55 + 8 * Math.cos(i / 9)) },
        disk: { usage: 62 + Math.floor(i / 20) },
        network: { rx_bytes: Math.round(rx), tx_bytes: Math.round(tx) },
      },
    };
  });
}

async function shoot(page: Page, name: string) {
  await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });
  console.log(`docs/screenshots/${name}.png`);
}

async function main() {
  await mkdir(OUT, { recursive: true });
  // An in-memory PGlite of its own: the test harness's snapshot exists only under vitest.
  const database = await openDatabase({});
  await runMigrations(database);
  const [server, browser] = await Promise.all([startWebServer({ database }), launchBrowser()]);
  try {
    const { context, page } = await openPage(browser);
    const credentials = await bootstrapAdmin(server, page);
    const admin = await signIn(server, credentials);

    const web = await linkDevice(server, admin, 'Web frontend', 'web-01');
    const db = await linkDevice(server, admin, 'Database primary', 'db-01');
    await linkDevice(server, admin, 'Build runner', 'ci-runner-03');
    for (const [i, agent] of [web, db].entries()) {
      const res = await fetch(`${server.url}/api/v1/metrics`, {
        method: 'POST',
        headers: { ...bearer(agent.jwt), 'content-type': 'application/json' },
        body: JSON.stringify({ server_id: i === 0 ? 'web-01' : 'db-01', samples: hourOfSamples(i * 11) }),
      });
      await json(res);
    }

    const room = await createRoom(server, admin, { slug: 'deploys', name: 'Deploys' });
    const bot = await createRoomAgent(server, admin, { rooms: [room.id], name: 'deploy-bot' });
    const checker = await createRoomAgent(server, admin, { rooms: [room.id], name: 'health-checker' });
    const lines: [typeof bot, string][] = [
      [bot, 'Starting deploy of web 2.14.0 to web-01'],
      [checker, 'web-01 health: ok (p95 41 ms)'],
      [bot, 'Deploy finished in 48 s; 0 errors'],
      [checker, 'Watching error rate for 10 minutes'],
    ];
    for (const [agent, body] of lines) await postMessage(server, agent, room.id, body);

    const bob = await addUser(server, admin, { email: 'bob@example.com', name: 'Bob Builder', plan: 'pro' });
    const team = await json<{ team: { id: string } }>(
      await fetch(`${server.url}/api/v1/teams`, {
        method: 'POST',
        headers: { ...admin.headers, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Platform' }),
      }),
    );
    await fetch(`${server.url}/api/v1/teams/${team.team.id}/members`, {
      method: 'POST',
      headers: { ...admin.headers, 'content-type': 'application/json' },
      body: JSON.stringify({ email: bob.email, role: 'member' }),
    });

    await page.goto(`${server.url}/dashboard`);
    await page.waitForSelector('body[data-live="connected"]');
    await shoot(page, 'dashboard');

    await page.goto(`${server.url}/agents/${web.id}`);
    await page.locator('figure[data-paths="network.rx_bytes network.tx_bytes"] .uplot canvas').waitFor();
    await shoot(page, 'agent');

    const pending = await json<{ user_code: string }>(
      await web.pending('/api/v1/agents/register', {
        device_name: 'Staging box',
        device_info: { server_id: 'staging-02', hostname: 'staging-02.lan', os: 'linux' },
      }),
    );
    await page.goto(`${server.url}/link?user_code=${pending.user_code}`);
    await page.getByRole('button', { name: 'Continue' }).click();
    await shoot(page, 'link-approve');

    await page.goto(`${server.url}/rooms/${room.id}`);
    await page.waitForSelector('body[data-live="connected"]');
    await shoot(page, 'room');

    await page.goto(`${server.url}/teams/${team.team.id}`);
    await shoot(page, 'team');
    await page.goto(`${server.url}/admin`);
    await shoot(page, 'admin-users');
    await page.goto(`${server.url}/admin/audit`);
    await shoot(page, 'admin-audit');

    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
    await phone.addCookies(await context.cookies());
    const small = await phone.newPage();
    await small.goto(`${server.url}/dashboard`);
    await small.waitForSelector('body[data-live="connected"]');
    await shoot(small, 'dashboard-phone');

    const signedOut = await browser.newPage();
    await signedOut.goto(`${server.url}/login`);
    await shoot(signedOut, 'sign-in');
  } finally {
    await browser.close();
    await server.close();
    await database.close();
  }
}

await main();
