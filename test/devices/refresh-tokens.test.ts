import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFRESH_GRACE_MS } from '../../src/identity/refresh-tokens.service.js';
import { createTestApp, type TestApp } from '../harness/app.js';
import {
  agentMe,
  approveJson,
  expectOAuthError,
  pollToken,
  postForm,
  refresh,
  requestDeviceCode,
  type TokenResponse,
} from '../harness/devices.js';
import { createUser, signInAdmin, type Person } from '../harness/identity.js';
import { queryRows } from '../harness/sql.js';

/** The public lookup prefix of an `agr_` token (its first 20 characters). */
const prefixOf = (token: string) => token.slice(0, 20);

describe('rotating refresh tokens', () => {
  let t: TestApp;
  let owner: Person;
  let serial = 0;

  /** A freshly linked device over the OAuth front door: its first token response. */
  async function link(): Promise<TokenResponse> {
    serial += 1;
    const grant = await requestDeviceCode(t, { server_id: `srv-refresh-${serial}` });
    const approved = await approveJson(t, owner, { user_code: grant.user_code });
    expect(approved.statusCode).toBe(200);
    const res = await pollToken(t, grant.device_code);
    expect(res.statusCode).toBe(200);
    return res.json<TokenResponse>();
  }

  async function rotate(token: string, fingerprint?: string): Promise<TokenResponse> {
    const res = await refresh(t, token, fingerprint);
    expect(res.statusCode, res.body).toBe(200);
    return res.json<TokenResponse>();
  }

  /** Moves a rotated token's rotation time back, as if it happened `ms` ago. */
  async function rotatedAgo(token: string, ms: number) {
    await t.database.db.execute(
      sql`update credentials set revoked_at = ${new Date(Date.now() - ms).toISOString()} where prefix = ${prefixOf(token)}`,
    );
  }

  async function credentialRow(token: string) {
    const [row] = await queryRows<{ revoked_reason: string | null; fingerprint: string | null; secret_hash: string }>(
      t.database.db,
      sql`select revoked_reason, fingerprint, secret_hash from credentials where prefix = ${prefixOf(token)}`,
    );
    return row;
  }

  beforeAll(async () => {
    t = await createTestApp({ config: { DEVICE_POLL_INTERVAL: 1, PLAN_LIMIT_FREE: 50 } });
    const admin = await signInAdmin(t);
    owner = await createUser(t, admin);
  });
  afterAll(() => t.close());

  it('returns a new refresh token on every use, with Bearer access tokens that work and no id_token', async () => {
    const first = await link();
    const second = await rotate(first.refresh_token);
    const third = await rotate(second.refresh_token);
    expect(new Set([first.refresh_token, second.refresh_token, third.refresh_token]).size).toBe(3);
    for (const pair of [second, third]) {
      expect(pair.token_type).toBe('Bearer');
      expect(pair).not.toHaveProperty('id_token');
      expect(pair.expires_in).toBe(900);
      expect((await agentMe(t, pair.access_token)).statusCode).toBe(200);
    }
    // Rotation retires the old refresh token, not the access tokens issued before it.
    expect((await agentMe(t, first.access_token)).statusCode).toBe(200);
    expect((await credentialRow(first.refresh_token))?.revoked_reason).toBe('rotated');
    // Only an HMAC of the secret is stored.
    expect(first.refresh_token).not.toContain((await credentialRow(first.refresh_token))?.secret_hash ?? '-');
    const stored = await queryRows(t.database.db, sql`select * from credentials`);
    expect(JSON.stringify(stored)).not.toContain(first.refresh_token.slice(21));
  });

  it('answers a retry of a just-rotated token within the grace window with the same successor', async () => {
    const first = await link();
    const res = await refresh(t, first.refresh_token);
    const successor = res.json<TokenResponse>();
    // The response was "lost": the agent retries with the token it still holds.
    const retried = await rotate(first.refresh_token);
    expect(retried.refresh_token).toBe(successor.refresh_token);
    expect((await agentMe(t, retried.access_token)).statusCode).toBe(200);

    await rotatedAgo(first.refresh_token, REFRESH_GRACE_MS - 5000);
    expect((await rotate(first.refresh_token)).refresh_token).toBe(successor.refresh_token);
    // The family is intact: the successor rotates as usual.
    await rotate(successor.refresh_token);
  });

  it('treats a rotated token reused outside the grace window as theft: invalid_grant, whole family revoked, JWTs stop working', async () => {
    const first = await link();
    const second = await rotate(first.refresh_token, 'fp-theft');
    const third = await rotate(second.refresh_token, 'fp-theft');
    await rotatedAgo(first.refresh_token, REFRESH_GRACE_MS + 1000);

    expectOAuthError(await refresh(t, first.refresh_token), 'invalid_grant');

    expectOAuthError(await refresh(t, third.refresh_token, 'fp-theft'), 'invalid_grant');
    for (const pair of [first, second, third]) expect((await agentMe(t, pair.access_token)).statusCode).toBe(401);
    expect((await credentialRow(third.refresh_token))?.revoked_reason).toBe('reuse_detected');
    const events = await queryRows<{ type: string }>(
      t.database.db,
      sql`select type from audit_events where type = 'token.reuse_detected'`,
    );
    expect(events.length).toBeGreaterThanOrEqual(1);
  });

  it('treats a retry within the grace window as reuse once the successor has itself been used', async () => {
    const first = await link();
    const second = await rotate(first.refresh_token);
    const third = await rotate(second.refresh_token);
    expectOAuthError(await refresh(t, first.refresh_token), 'invalid_grant');
    expect((await agentMe(t, third.access_token)).statusCode).toBe(401);
    expectOAuthError(await refresh(t, third.refresh_token), 'invalid_grant');
  });

  it('answers concurrent refreshes of one token with one successor and keeps the family alive', async () => {
    const reuseEvents = async () =>
      (await queryRows(t.database.db, sql`select id from audit_events where type = 'token.reuse_detected'`)).length;
    const before = await reuseEvents();
    for (let trial = 0; trial < 6; trial++) {
      const first = await link();
      const answers = await Promise.all([1, 2, 3, 4].map(() => refresh(t, first.refresh_token, 'fp-race')));
      for (const res of answers) expect(res.statusCode, res.body).toBe(200);
      const successors = new Set(answers.map((res) => res.json<TokenResponse>().refresh_token));
      expect(successors.size).toBe(1);
      for (const res of answers)
        expect((await agentMe(t, res.json<TokenResponse>().access_token)).statusCode).toBe(200);
      await rotate([...successors][0] ?? '', 'fp-race');
    }
    expect(await reuseEvents()).toBe(before);
  });

  it('binds the device fingerprint at the first refresh and refuses the token from another device', async () => {
    const first = await link();
    const second = await rotate(first.refresh_token, 'fingerprint-a');
    expect((await credentialRow(second.refresh_token))?.fingerprint).toBe('fingerprint-a');

    expectOAuthError(await refresh(t, second.refresh_token, 'fingerprint-b'), 'invalid_grant');
    expectOAuthError(await refresh(t, second.refresh_token), 'invalid_grant');
    // The mismatch is refused without burning the token for the real device.
    const third = await rotate(second.refresh_token, 'fingerprint-a');
    expect((await credentialRow(third.refresh_token))?.fingerprint).toBe('fingerprint-a');
  });

  it('refuses an expired refresh token', async () => {
    const first = await link();
    await t.database.db.execute(
      sql`update credentials set expires_at = ${new Date(Date.now() - 1000).toISOString()} where prefix = ${prefixOf(first.refresh_token)}`,
    );
    expectOAuthError(await refresh(t, first.refresh_token), 'invalid_grant');
  });

  it('unlinks the device when its refresh token is revoked at /oauth/revoke', async () => {
    const first = await link();
    const revoked = await postForm(t, '/oauth/revoke', { token: first.refresh_token });
    expect(revoked.statusCode).toBe(200);
    expectOAuthError(await refresh(t, first.refresh_token), 'invalid_grant');
    expect((await agentMe(t, first.access_token)).statusCode).toBe(401);
    // RFC 7009: an unknown token is answered the same way.
    expect((await postForm(t, '/oauth/revoke', { token: 'agr_nothing' })).statusCode).toBe(200);
  });
});
