import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/client.js';
import {
  agentCli,
  createOwner,
  linkWithCli,
  runSummary,
  spawnAgentCli,
  spoolDepth,
  startRestartableServer,
  storedSnapshots,
  waitFor,
  type Owner,
  type RestartableServer,
} from '../harness/agent-cli.js';
import { makeTempDir } from '../harness/temp-dir.js';

const mode = (path: string) => statSync(path).mode & 0o777;

/**
 * Issue 7's "done when": the real CLI, as a subprocess, links through the
 * device flow, sends metrics every half second, rides out a server restart by
 * spooling, and every snapshot it collected is stored exactly once.
 */
// Each case starts real CLI processes (tsx transpiles them): allow for a busy machine.
describe('agenthub agent link, run and status (command line, against a listening server)', { timeout: 120_000 }, () => {
  const dir = makeTempDir('agent-run');
  let server: RestartableServer;
  let owner: Owner;
  let agentId: string;

  beforeAll(async () => {
    server = await startRestartableServer({
      // The SDK renews 60 s ahead of expiry: a 62 s access token is renewed about every 2 s, so the
      // refresh token rotates many times while the agent runs.
      config: { DEVICE_POLL_INTERVAL: 1, ACCESS_TOKEN_TTL: 62, RATE_LIMIT_ANON: 100_000 },
    });
    owner = await createOwner(server.app);
  });
  afterAll(async () => {
    await server.close();
    dir.remove();
  });

  /** Refresh tokens of the agent that were rotated: one per renewal, whichever process made it. */
  async function rotated(): Promise<number> {
    const [row] = await queryRows<{ n: number }>(
      server.database.db,
      sql`select count(*)::int as n from credentials
          where agent_id = ${agentId} and kind = 'refresh' and revoked_reason = 'rotated'`,
    );
    return row?.n ?? 0;
  }

  it('links through the device flow and keeps private credentials and config.yaml', async () => {
    const { result, agentId: id } = await linkWithCli(server, owner, dir.path, {
      serverId: 'srv-cli-run',
      extra: ['--name', 'cli-box', '--interval', '0.5', '--label', 'env=test', '--label', 'role=db'],
    });
    expect(result.code, result.stderr).toBe(0);
    agentId = id ?? '';
    expect(result.stdout).toContain('http://localhost:3000/link and enter the code');
    expect(result.stdout).toMatch(/or open http:\/\/localhost:3000\/link\?user_code=[B-Z]{4}-[B-Z]{4}/);
    expect(result.stdout).toContain(`Linked: agent cli-box (${agentId}), server_id srv-cli-run`);

    const tokens = join(dir.path, 'tokens');
    expect(mode(tokens)).toBe(0o700);
    for (const file of ['refresh-token', 'access-token', 'access-token-expires-at', 'fingerprint'])
      expect(mode(join(tokens, file)), file).toBe(0o600);
    expect(readFileSync(join(tokens, 'refresh-token'), 'utf8')).toMatch(/^agr_/);
    expect(parse(readFileSync(join(dir.path, 'config.yaml'), 'utf8'))).toEqual({
      server: server.url,
      server_id: 'srv-cli-run',
      name: 'cli-box',
      interval: 0.5,
      labels: { env: 'test', role: 'db' },
      spool_max: 10_000,
    });
  });

  it('runs through a server restart, spooling meanwhile, and stores every collected snapshot exactly once', async () => {
    const run = spawnAgentCli(dir.path, ['run']);
    await waitFor(async () => (await storedSnapshots(server.database, agentId)).rows >= 2, 'the first snapshots');

    await server.stop();
    await waitFor(() => /server unreachable/.test(run.stderr), 'the CLI to notice the outage');
    await waitFor(() => spoolDepth(dir.path) >= 2, 'two spooled snapshots');
    await server.start();
    const back = await run.waitForLine(/^server back, replayed \d+ snapshots/, 60_000);
    const stored = (await storedSnapshots(server.database, agentId)).rows;
    await waitFor(async () => (await storedSnapshots(server.database, agentId)).rows > stored, 'a live tick');

    run.child.kill('SIGTERM');
    const result = await run.exited(60_000);
    expect(result.code, result.stderr).toBe(0);
    const summary = runSummary(result.stdout);
    expect(summary).toMatchObject({ dropped: 0, rejected: 0, spool_depth: 0 });
    expect(summary['replayed']).toBeGreaterThanOrEqual(2);
    expect(Number(/replayed (\d+)/.exec(back)?.[1])).toBe(summary['replayed']);
    const final = await storedSnapshots(server.database, agentId);
    expect(final.rows).toBe(summary['collected']);
    expect(final.distinct).toBe(final.rows);
    // One line per change of state, not one per tick.
    expect(result.stderr.match(/server unreachable/g)).toHaveLength(1);
    expect(result.stdout.match(/server back/g)).toHaveLength(1);
  });

  it('stored the labels and system metrics in every snapshot', async () => {
    const rows = await server.app.ctx.services.metrics.latest(owner.actor, 'srv-cli-run', { limit: 5 });
    expect(rows?.length).toBeGreaterThan(0);
    for (const row of rows ?? []) {
      const data = row.data as Record<string, Record<string, unknown>>;
      expect(data['labels']).toEqual({ env: 'test', role: 'db' });
      expect(typeof data['cpu']?.['usage']).toBe('number');
      expect(typeof data['memory']?.['total']).toBe('number');
      expect(Object.keys(data['disks'] ?? {}).length).toBeGreaterThan(0);
      expect(typeof data['uptime']).toBe('number');
    }
  });

  it('reports who it is, the last send, the spool and the token expiry with status', async () => {
    const [text, json] = [await agentCli(dir.path, ['status']), await agentCli(dir.path, ['status', '--json'])];
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(`Agent:        cli-box (${agentId})`);
    expect(text.stdout).toContain(`Server:       ${server.url}`);
    expect(text.stdout).toContain('Server ID:    srv-cli-run');
    expect(text.stdout).toContain('Labels:       env=test, role=db');
    expect(text.stdout).toContain('Spool:        0 snapshots waiting');
    expect(text.stdout).toMatch(/^Last send: +\d{4}-\d\d-\d\dT/m);
    expect(text.stdout).toMatch(/^Access token: +expires \d{4}-/m);
    expect(json.code, json.stderr).toBe(0);
    const report = JSON.parse(json.stdout) as Record<string, unknown>;
    expect(report).toMatchObject({
      agent: { id: agentId, server_id: 'srv-cli-run' },
      server: server.url,
      server_id: 'srv-cli-run',
      spool_depth: 0,
      error: null,
    });
    expect(Date.parse(String(report['access_token_expires_at']))).toBeGreaterThan(Date.now());
    expect(Date.parse(String(report['last_success_at']))).not.toBeNaN();
  });

  it('keeps run and listen alive side by side while the refresh token they share rotates', async () => {
    const { room } = await server.app.ctx.services.rooms.create(owner.actor, { slug: 'side', name: 'Side' });
    await server.app.ctx.services.rooms.addMember(room.id, agentId, owner.actor);
    const before = await rotated();
    const run = spawnAgentCli(dir.path, ['run', '--interval', '0.3']);
    const listen = spawnAgentCli(dir.path, ['listen', '--room', 'side']);
    const bothAlive = () => {
      if (run.child.exitCode !== null || listen.child.exitCode !== null)
        throw new Error(`exited early:\n${run.stderr}\n${listen.stderr}`);
    };
    await waitFor(() => bothAlive() ?? listen.stderr.includes('Listening to room side'), 'the listener to join');
    // Both renew every 2 s or so, on their own schedules: several generations, whoever rotates each.
    await waitFor(async () => bothAlive() ?? (await rotated()) >= before + 6, 'six rotations');
    await server.app.ctx.services.rooms.send(owner.actor, { roomId: room.id, body: 'still here?' });
    await waitFor(() => listen.stdout.includes('still here?'), 'the message to reach the listener');
    run.child.kill('SIGTERM');
    listen.child.kill('SIGINT');
    const [ran, listened] = await Promise.all([run.exited(60_000), listen.exited(60_000)]);
    expect(ran.code, ran.stderr).toBe(0);
    expect(listened.code, listened.stderr).toBe(0);
    expect(ran.stderr + listened.stderr).not.toMatch(/no longer accepts/);
  });

  it('rotated the refresh token on every renewal without ever presenting a spent one', async () => {
    const rows = await queryRows<{ reason: string | null; n: number }>(
      server.database.db,
      sql`select revoked_reason as reason, count(*)::int as n from credentials
          where agent_id = ${agentId} and kind = 'refresh' group by 1`,
    );
    const byReason = new Map(rows.map((r) => [r.reason, r.n]));
    expect(byReason.get('rotated')).toBeGreaterThan(3);
    expect(byReason.get(null)).toBe(1);
    expect(byReason.has('reuse_detected')).toBe(false);
  });
});
