import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentHubClient, type TokenSet } from '../../src/client/index.js';
import { queryRows } from '../../src/db/client.js';
import type { UserActor } from '../../src/identity/actor.model.js';
import { startTestServer, type TestApp } from '../harness/app.js';
import { createOwner, linkClient, recordingFetch } from '../harness/sdk.js';

type Server = TestApp & { url: string };

const link = (t: Server, owner: UserActor, client: AgentHubClient, serverId: string, fingerprint?: string) =>
  linkClient(t, owner, client, { serverId, ...(fingerprint ? { fingerprint } : {}) });

describe('SDK tokens: API token exchange, renewal ahead of expiry, rotation bound to a fingerprint', () => {
  let fresh: Server;
  let shortLived: Server;
  let owner: UserActor;
  let shortOwner: UserActor;

  beforeAll(async () => {
    fresh = await startTestServer({ config: { DEVICE_POLL_INTERVAL: 1 } });
    // 30 s access tokens are inside the SDK's 60 s renewal margin: every call renews first.
    shortLived = await startTestServer({ config: { DEVICE_POLL_INTERVAL: 1, ACCESS_TOKEN_TTL: 30 } });
    owner = await createOwner(fresh, 'admin');
    shortOwner = await createOwner(shortLived);
  });
  afterAll(async () => {
    await fresh.close();
    await shortLived.close();
  });

  it('exchanges an API token for an access JWT once and reuses the JWT while it is fresh', async () => {
    const { agent } = await fresh.ctx.services.agents.create(
      { name: 'api-agent', serverId: 'srv-api' },
      { actor: owner },
    );
    const { token } = await fresh.ctx.services.agents.issueToken(agent.id, {}, { actor: owner });
    const recorder = recordingFetch();
    const client = new AgentHubClient({
      server: fresh.url,
      credentials: { kind: 'api-token', apiToken: token },
      fetch: recorder.fetch,
    });
    expect((await client.me()).agent).toMatchObject({ id: agent.id, server_id: 'srv-api' });
    await client.me();
    expect(recorder.exchanges.map((e) => `${e.method} ${e.path} ${e.status}`)).toEqual([
      'POST /api/v1/sessions 200',
      'GET /api/v1/me 200',
      'GET /api/v1/me 200',
    ]);
    expect(recorder.exchanges[0]!.requestHeaders.get('authorization')).toBe(`Bearer ${token}`);
    expect(client.tokens?.expiresAt).toBeGreaterThan(Date.now() + 60_000);
  });

  it('renews an access token that is about to expire before using it, rather than waiting for a 401', async () => {
    const recorder = recordingFetch();
    const client = new AgentHubClient({ server: shortLived.url, fetch: recorder.fetch });
    await link(shortLived, shortOwner, client, 'srv-renew');
    recorder.exchanges.length = 0;
    await client.me();
    expect(recorder.exchanges.map((e) => `${e.method} ${e.path} ${e.status}`)).toEqual([
      'POST /oauth/token 200',
      'GET /api/v1/me 200',
    ]);
  });

  it('rotates the refresh token on every renewal, hands it to onRotate before using it, and binds it to the fingerprint', async () => {
    const recorder = recordingFetch();
    const rotations: { tokens: TokenSet; exchangesSoFar: number }[] = [];
    const client = new AgentHubClient({
      server: shortLived.url,
      fetch: recorder.fetch,
      onRotate: (tokens) => void rotations.push({ tokens, exchangesSoFar: recorder.exchanges.length }),
    });
    const { tokens: first, agentId } = await link(shortLived, shortOwner, client, 'srv-rotate', 'fp-A');
    recorder.exchanges.length = 0;
    for (let i = 0; i < 3; i++) await client.me();

    const refreshTokens = [first.refreshToken, ...rotations.map((r) => r.tokens.refreshToken)];
    expect(new Set(refreshTokens).size).toBe(4);
    // Each rotation reached onRotate after its refresh answered and before the request that used it.
    expect(rotations.map((r) => r.exchangesSoFar)).toEqual([1, 3, 5]);
    const refreshes = recorder.exchanges.filter((e) => e.path === '/oauth/token');
    expect(refreshes.map((e) => e.requestHeaders.get('x-device-fingerprint'))).toEqual(['fp-A', 'fp-A', 'fp-A']);
    const live = await queryRows<{ fingerprint: string | null }>(
      shortLived.database.db,
      sql`select fingerprint from credentials where agent_id = ${agentId} and kind = 'refresh' and revoked_at is null`,
    );
    expect(live).toEqual([{ fingerprint: 'fp-A' }]);

    const latest = refreshTokens.at(-1)!;
    const elsewhere = new AgentHubClient({
      server: shortLived.url,
      credentials: { kind: 'refresh', refreshToken: latest, fingerprint: 'fp-B' },
    });
    await expect(elsewhere.accessToken()).rejects.toMatchObject({ status: 400, code: 'invalid_grant' });
    // The fingerprinted device itself still renews.
    await expect(client.me()).resolves.toMatchObject({ agent: { id: agentId } });
  });

  it('renews once after a 401 and reports a refusal that survives the renewal', async () => {
    const client = new AgentHubClient({ server: fresh.url });
    const { agentId } = await link(fresh, owner, client, 'srv-deactivated');
    await client.me();
    await fresh.ctx.services.agents.deactivate(agentId, { actor: owner });
    await expect(client.me()).rejects.toMatchObject({ status: 400, code: 'invalid_grant' });
  });
});
