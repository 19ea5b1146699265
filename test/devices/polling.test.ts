import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../harness/app.js';
import {
  agentMe,
  DEVICE_CODE_GRANT,
  denyViaPages,
  expectOAuthError,
  linkDevice,
  openLink,
  approveJson,
  pollStatus,
  pollToken,
  postForm,
  refresh,
  registerDevice,
  requestDeviceCode,
  type TokenResponse,
} from '../harness/devices.js';
import { bearer, createUser, signInAdmin, type Person } from '../harness/identity.js';
import { queryRows } from '../harness/sql.js';

const HOUR = 3600 * 1000;

describe('polling a device code: pending, slow_down, denied, expired, redeemed', () => {
  let t: TestApp;
  let owner: Person;

  const userCodeOf = (code: string) => code.replace('-', '');
  async function setRow(userCode: string, patch: { expiresAt?: Date; lastPolledAt?: Date }) {
    if (patch.expiresAt)
      await t.database.db.execute(
        sql`update device_authorizations set expires_at = ${patch.expiresAt.toISOString()} where user_code = ${userCodeOf(userCode)}`,
      );
    if (patch.lastPolledAt)
      await t.database.db.execute(
        sql`update device_authorizations set last_polled_at = ${patch.lastPolledAt.toISOString()} where user_code = ${userCodeOf(userCode)}`,
      );
  }
  async function statusOf(userCode: string) {
    const rows = await queryRows<{ status: string }>(
      t.database.db,
      sql`select status from device_authorizations where user_code = ${userCodeOf(userCode)}`,
    );
    return rows.map((r) => r.status);
  }

  beforeAll(async () => {
    t = await createTestApp({ config: { DEVICE_POLL_INTERVAL: 1, PLAN_LIMIT_FREE: 50 } });
    const admin = await signInAdmin(t);
    owner = await createUser(t, admin);
  });
  afterAll(() => t.close());

  it('never throttles the first poll, then answers slow_down and grows the interval by 5 seconds each time', async () => {
    const grant = await requestDeviceCode(t);
    const first = await pollToken(t, grant.device_code);
    expectOAuthError(first, 'authorization_pending');
    expect(first.json()).toMatchObject({ interval: 1 });

    const second = await pollToken(t, grant.device_code);
    expectOAuthError(second, 'slow_down');
    expect(second.json()).toMatchObject({ interval: 6 });
    const third = await pollToken(t, grant.device_code);
    expectOAuthError(third, 'slow_down');
    expect(third.json()).toMatchObject({ interval: 11 });

    // A client that now waits the grown interval is answered normally, and the interval stays grown.
    await setRow(grant.user_code, { lastPolledAt: new Date(Date.now() - 12_000) });
    const patient = await pollToken(t, grant.device_code);
    expectOAuthError(patient, 'authorization_pending');
    expect(patient.json()).toMatchObject({ interval: 11 });
  });

  it('answers slow_down on the JSON status endpoint with 429 and the grown interval', async () => {
    const grant = await registerDevice(t, { device_name: 'poller', device_info: { server_id: 'srv-poll-01' } });
    expect((await pollStatus(t, grant.device_code)).json()).toEqual({ status: 'pending', interval: 1 });
    const fast = await pollStatus(t, grant.device_code);
    expect(fast.statusCode).toBe(429);
    expect(fast.json()).toMatchObject({ error: 'slow_down', interval: 6 });
  });

  it('answers access_denied over OAuth after the person denies on the /link page, and the code cannot be entered again', async () => {
    const grant = await requestDeviceCode(t, { server_id: 'srv-deny-01', device_name: 'Unknown box' });
    const denied = await denyViaPages(t, owner, grant.user_code);
    expect(denied.statusCode).toBe(200);
    expect(denied.body).toContain('Device denied');

    expectOAuthError(await pollToken(t, grant.device_code), 'access_denied');
    expectOAuthError(await pollToken(t, grant.device_code), 'access_denied');
    const reopened = await openLink(t, owner, grant.user_code);
    expect(reopened.confirm.statusCode).toBe(404);
    expect(await statusOf(grant.user_code)).toEqual(['denied']);
    const agents = await t.app.inject({ url: '/api/v1/agents', headers: owner.headers });
    expect(agents.json<{ agents: { server_id: string }[] }>().agents.map((a) => a.server_id)).not.toContain(
      'srv-deny-01',
    );
  });

  it('answers 403 {status:"denied"} on the JSON status endpoint after a denial over the JSON API', async () => {
    const grant = await registerDevice(t, { device_name: 'denied', device_info: { server_id: 'srv-deny-02' } });
    const denied = await t.app.inject({
      method: 'POST',
      url: '/api/v1/agent-link/deny',
      headers: owner.headers,
      payload: { user_code: grant.user_code },
    });
    expect(denied.statusCode).toBe(200);
    const status = await pollStatus(t, grant.device_code);
    expect(status.statusCode).toBe(403);
    expect(status.json()).toMatchObject({ status: 'denied', error: 'access_denied' });
    expect((await approveJson(t, owner, { user_code: grant.user_code })).statusCode).toBe(404);
  });

  it('answers expired_token over OAuth and 410 over JSON once a request outlives its expiry, and refuses to approve it', async () => {
    const oauth = await requestDeviceCode(t);
    const json = await registerDevice(t, { device_name: 'late', device_info: { server_id: 'srv-late-01' } });
    for (const grant of [oauth, json]) await setRow(grant.user_code, { expiresAt: new Date(Date.now() - 1000) });

    const approve = await approveJson(t, owner, { user_code: json.user_code });
    expect(approve.statusCode).toBe(404);
    expect(approve.json()).toMatchObject({ error: 'invalid_or_expired_code' });

    expectOAuthError(await pollToken(t, oauth.device_code), 'expired_token');
    expectOAuthError(await pollToken(t, oauth.device_code), 'expired_token');
    const status = await pollStatus(t, json.device_code);
    expect(status.statusCode).toBe(410);
    expect(status.json()).toMatchObject({ status: 'expired', error: 'expired_token' });
    expect(await statusOf(oauth.user_code)).toEqual(['expired']);
  });

  it('takes the request lifetime from DEVICE_CODE_TTL', async () => {
    const short = await createTestApp({ database: t.database, config: { DEVICE_CODE_TTL: 60 } });
    try {
      const before = Date.now();
      const grant = await requestDeviceCode(short);
      expect(grant.expires_in).toBe(60);
      const [row] = await queryRows<{ expires_at: Date | string }>(
        t.database.db,
        sql`select expires_at from device_authorizations where user_code = ${userCodeOf(grant.user_code)}`,
      );
      const expiresAt = new Date(row?.expires_at ?? 0).getTime();
      expect(expiresAt).toBeGreaterThanOrEqual(before + 59_000);
      expect(expiresAt).toBeLessThanOrEqual(Date.now() + 61_000);
    } finally {
      await short.close();
    }
  });

  it('refuses a poll from another client_id, or naming none, without consuming the device code', async () => {
    const grant = await requestDeviceCode(t, { server_id: 'srv-client-01' });
    expect((await approveJson(t, owner, { user_code: grant.user_code })).statusCode).toBe(200);
    expectOAuthError(await pollToken(t, grant.device_code, 'someone-else'), 'invalid_grant');
    // RFC 8628 §3.4: client_id is required of a public client.
    const anonymous = await postForm(t, '/oauth/token', {
      grant_type: DEVICE_CODE_GRANT,
      device_code: grant.device_code,
    });
    expectOAuthError(anonymous, 'invalid_client');
    const issued = await pollToken(t, grant.device_code, 'agenthub-cli');
    expect(issued.statusCode, issued.body).toBe(200);
    expect((await agentMe(t, issued.json<TokenResponse>().access_token)).statusCode).toBe(200);
  });

  it('refuses a second OAuth redemption and revokes the refresh token and access tokens the first one issued', async () => {
    const grant = await requestDeviceCode(t, { server_id: 'srv-twice-01' });
    expect((await approveJson(t, owner, { user_code: grant.user_code })).statusCode).toBe(200);
    const first = await pollToken(t, grant.device_code);
    expect(first.statusCode).toBe(200);
    const tokens = first.json<TokenResponse>();
    const rotated = await refresh(t, tokens.refresh_token, 'fp-twice');
    expect(rotated.statusCode).toBe(200);
    const successor = rotated.json<TokenResponse>();
    expect((await agentMe(t, successor.access_token)).statusCode).toBe(200);

    expectOAuthError(await pollToken(t, grant.device_code), 'invalid_grant');

    expect((await agentMe(t, tokens.access_token)).statusCode).toBe(401);
    expect((await agentMe(t, successor.access_token)).statusCode).toBe(401);
    expectOAuthError(await refresh(t, successor.refresh_token, 'fp-twice'), 'invalid_grant');
    expect(await statusOf(grant.user_code)).toEqual(['redeemed']);
  });

  it('refuses a second JSON redemption with 410 and revokes the API token, refresh token and JWTs of the first', async () => {
    const linked = await linkDevice(t, owner, 'srv-twice-02');
    const exchanged = await t.app.inject({
      method: 'POST',
      url: '/api/v1/sessions',
      headers: bearer(linked.apiToken),
    });
    expect(exchanged.statusCode).toBe(200);
    const exchangedJwt = exchanged.json<{ token: string }>().token;
    expect((await agentMe(t, exchangedJwt)).statusCode).toBe(200);

    const again = await pollStatus(t, linked.deviceCode);
    expect(again.statusCode).toBe(410);
    expect(again.json()).toMatchObject({ error: 'already_redeemed' });

    expect((await agentMe(t, linked.accessToken)).statusCode).toBe(401);
    expect((await agentMe(t, exchangedJwt)).statusCode).toBe(401);
    expectOAuthError(await refresh(t, linked.refreshToken), 'invalid_grant');
    const exchangeAgain = await t.app.inject({
      method: 'POST',
      url: '/api/v1/sessions',
      headers: bearer(linked.apiToken),
    });
    expect(exchangeAgain.statusCode).toBe(401);
  });

  it('expires pending requests in the cleanup job, after which polls answer expired_token', async () => {
    const stale = await requestDeviceCode(t);
    const fresh = await requestDeviceCode(t);
    await setRow(stale.user_code, { expiresAt: new Date(Date.now() - 1000) });

    const result = await t.ctx.services.devices.cleanup(new Date());
    expect(result.expired).toBeGreaterThanOrEqual(1);
    expect(await statusOf(stale.user_code)).toEqual(['expired']);
    expect(await statusOf(fresh.user_code)).toEqual(['pending']);
    expectOAuthError(await pollToken(t, stale.device_code), 'expired_token');
    expectOAuthError(await pollToken(t, fresh.device_code), 'authorization_pending');
  });

  it('purges requests that expired more than 24 hours ago in the cleanup job, and keeps younger ones', async () => {
    const old = await requestDeviceCode(t);
    const recent = await requestDeviceCode(t);
    await setRow(old.user_code, { expiresAt: new Date(Date.now() - 25 * HOUR) });
    await setRow(recent.user_code, { expiresAt: new Date(Date.now() - 23 * HOUR) });

    await t.ctx.services.devices.cleanup(new Date());
    expect(await statusOf(old.user_code)).toEqual([]);
    expect(await statusOf(recent.user_code)).toEqual(['expired']);
    expectOAuthError(await pollToken(t, old.device_code), 'invalid_grant');
    expectOAuthError(await pollToken(t, recent.device_code), 'expired_token');
  });
});
