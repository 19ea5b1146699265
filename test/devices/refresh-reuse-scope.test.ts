import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFRESH_GRACE_MS } from '../../src/identity/refresh-tokens.service.js';
import { createTestApp, type TestApp } from '../harness/app.js';
import { agentMe, expectOAuthError, linkDevice, refresh, type TokenResponse } from '../harness/devices.js';
import {
  createUser,
  exchange,
  exchangeStatus,
  issueToken,
  signInAdmin,
  uniqueEmail,
  type Person,
} from '../harness/identity.js';
import { queryRows } from '../harness/sql.js';

/**
 * ADR 0016: replaying a rotated refresh token revokes the grant it descends from — every refresh token of the
 * family, the API token the same redemption returned, and every access token issued from any of them — and
 * nothing else: API tokens issued for the agent by a person, and the agent itself, stay as they were.
 */
describe('what a replayed refresh token revokes', () => {
  let t: TestApp;
  let owner: Person;

  beforeAll(async () => {
    t = await createTestApp({ config: { DEVICE_POLL_INTERVAL: 1 } });
    const admin = await signInAdmin(t);
    owner = await createUser(t, admin, { email: uniqueEmail('reuse-scope') });
  });
  afterAll(() => t.close());

  async function rotate(token: string): Promise<TokenResponse> {
    const res = await refresh(t, token);
    expect(res.statusCode, res.body).toBe(200);
    return res.json<TokenResponse>();
  }

  it('revokes the family and the API token of the same redemption, but not a token a person issued', async () => {
    const linked = await linkDevice(t, owner, 'srv-reuse-scope');
    const fromRedemption = await exchange(t, linked.apiToken);
    const issued = await issueToken(t, owner, linked.agentId);
    const fromIssued = await exchange(t, issued.token);
    const second = await rotate(linked.refreshToken);
    await t.database.db.execute(
      sql`update credentials set revoked_at = ${new Date(Date.now() - REFRESH_GRACE_MS - 1000).toISOString()}
          where prefix = ${linked.refreshToken.slice(0, 20)}`,
    );

    expectOAuthError(await refresh(t, linked.refreshToken), 'invalid_grant');

    // The grant: its refresh tokens, their access tokens, the redemption's API token and what it was exchanged for.
    expectOAuthError(await refresh(t, second.refresh_token), 'invalid_grant');
    for (const access of [linked.accessToken, second.access_token, fromRedemption])
      expect((await agentMe(t, access)).statusCode).toBe(401);
    expect(await exchangeStatus(t, linked.apiToken)).toBe(401);

    // Not the grant: a token the owner issued, the access token exchanged for it, and the agent.
    expect(await exchangeStatus(t, issued.token)).toBe(200);
    expect((await agentMe(t, fromIssued)).statusCode).toBe(200);
    const rows = await queryRows<{ kind: string; revoked_reason: string | null; family: boolean }>(
      t.database.db,
      sql`select kind, revoked_reason, family_id is not null as family from credentials
          where agent_id = ${linked.agentId} order by created_at`,
    );
    expect(rows.filter((r) => r.family).map((r) => r.revoked_reason)).toEqual([
      'reuse_detected',
      'reuse_detected',
      'reuse_detected',
    ]);
    expect(rows.filter((r) => !r.family)).toEqual([{ kind: 'api', revoked_reason: null, family: false }]);
    const [agent] = await queryRows<{ status: string }>(
      t.database.db,
      sql`select status from agents where id = ${linked.agentId}`,
    );
    expect(agent?.status).toBe('approved');
  });
});
