import { chmodSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentHubClient } from '../../src/client/index.js';
import {
  agentCli,
  asOwner,
  createOwner,
  linkWithCli,
  spawnAgentCli,
  startRestartableServer,
  storedSnapshots,
  waitFor,
  type Owner,
  type RestartableServer,
} from '../harness/agent-cli.js';
import { makeTempDir } from '../harness/temp-dir.js';

/** What the agent CLI does with its credentials: permissions, revocation, deactivation, unlink. */
// Each case starts real CLI processes (tsx transpiles them): allow for a busy machine.
describe('agenthub agent credentials (command line, against a listening server)', { timeout: 120_000 }, () => {
  const dirs: { path: string; remove(): void }[] = [];
  let server: RestartableServer;
  let owner: Owner;
  let counter = 0;

  /** A fresh config dir with an agent linked through the real CLI. */
  async function linkedAgent(): Promise<{ dir: string; agentId: string; serverId: string }> {
    const dir = makeTempDir('agent-creds');
    dirs.push(dir);
    counter += 1;
    const serverId = `srv-creds-${counter}`;
    const { result, agentId } = await linkWithCli(server, owner, dir.path, { serverId });
    expect(result.code, result.stderr).toBe(0);
    return { dir: dir.path, agentId: agentId ?? '', serverId };
  }

  beforeAll(async () => {
    server = await startRestartableServer({ config: { DEVICE_POLL_INTERVAL: 1 } });
    owner = await createOwner(server.app);
  });
  afterAll(async () => {
    await server.close();
    for (const dir of dirs) dir.remove();
  });

  it('refuses token files and a tokens directory that other users can read, naming the chmod to run', async () => {
    const { dir } = await linkedAgent();
    const refreshToken = join(dir, 'tokens', 'refresh-token');
    chmodSync(refreshToken, 0o644);
    const [status, run] = await Promise.all([agentCli(dir, ['status']), agentCli(dir, ['run', '--once'])]);
    for (const result of [status, run]) {
      expect(result.code).toBe(78);
      expect(result.stderr).toContain(`Refusing to use ${refreshToken}: its permissions are 0644`);
      expect(result.stderr).toContain(`Run: chmod 600 ${refreshToken}`);
    }
    chmodSync(refreshToken, 0o600);
    chmodSync(join(dir, 'tokens'), 0o755);
    const loose = await agentCli(dir, ['status']);
    expect(loose.code).toBe(78);
    expect(loose.stderr).toContain(`Run: chmod 700 ${join(dir, 'tokens')}`);
    chmodSync(join(dir, 'tokens'), 0o700);
    expect((await agentCli(dir, ['status'])).code).toBe(0);
  });

  /** How an owner cuts an agent off over the API: deactivate it, or revoke its current refresh token. */
  const cutOff = {
    deactivated: (agentId: string) => asOwner(server, owner, 'POST', `/api/v1/agents/${agentId}/deactivate`),
    revoked: (_agentId: string, dir: string) => {
      const prefix = readFileSync(join(dir, 'tokens', 'refresh-token'), 'utf8').slice(0, 20);
      return asOwner(server, owner, 'DELETE', `/api/v1/tokens/${prefix}`);
    },
  };

  it.each(Object.keys(cutOff) as (keyof typeof cutOff)[])(
    'run exits with code 3 and a clear message once the agent is %s, and status says the same',
    async (how) => {
      const { dir, agentId } = await linkedAgent();
      const run = spawnAgentCli(dir, ['run', '--interval', '0.3']);
      await waitFor(async () => (await storedSnapshots(server.database, agentId)).rows >= 1, 'a first snapshot');
      await cutOff[how](agentId, dir);
      const result = await run.exited(60_000);
      expect(result.code, result.stdout + result.stderr).toBe(3);
      expect(result.stderr).toContain("The server no longer accepts this agent's credentials");
      expect(result.stderr).toContain('link it again with `agenthub agent link`');
      expect(result.stderr).not.toMatch(/at .+\.[jt]s:\d+/); // a message, not a stack trace
      const status = await agentCli(dir, ['status']);
      expect(status.code).toBe(3);
      expect(status.stdout).toMatch(/^Agent: +unknown: HTTP 400 invalid_grant/m);
    },
  );

  it('unlink revokes the refresh token on the server and deletes the local files', async () => {
    const { dir } = await linkedAgent();
    const refreshToken = readFileSync(join(dir, 'tokens', 'refresh-token'), 'utf8').trim();
    const fingerprint = readFileSync(join(dir, 'tokens', 'fingerprint'), 'utf8').trim();
    const result = await agentCli(dir, ['unlink']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`Unlinked from ${server.url}: credentials revoked`);
    expect(readdirSync(dir)).toEqual([]);
    expect(existsSync(join(dir, 'tokens'))).toBe(false);

    const client = new AgentHubClient({
      server: server.url,
      credentials: { kind: 'refresh', refreshToken, fingerprint },
    });
    await expect(client.accessToken()).rejects.toMatchObject({ status: 400, code: 'invalid_grant' });
    const status = await agentCli(dir, ['status']);
    expect(status.code).toBe(78);
    expect(status.stderr).toContain('This machine is not linked');
  });

  it('says when the link request is denied, and keeps no credentials', async () => {
    const dir = makeTempDir('agent-denied');
    dirs.push(dir);
    const { result } = await linkWithCli(server, owner, dir.path, { serverId: 'srv-denied', decide: 'deny' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('The link request was denied.');
    expect(existsSync(join(dir.path, 'config.yaml'))).toBe(false);
    expect(existsSync(join(dir.path, 'tokens', 'refresh-token'))).toBe(false);
  });

  it('refuses to link over existing credentials unless told to', async () => {
    const { dir } = await linkedAgent();
    const again = await agentCli(dir, ['link', '--server', server.url, '--server-id', 'srv-other']);
    expect(again.code).toBe(78);
    expect(again.stderr).toContain('Already linked');
    expect(again.stderr).toContain('agenthub agent unlink');
  });
});
