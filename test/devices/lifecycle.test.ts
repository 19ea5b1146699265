import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../harness/app.js';
import {
  agentMe,
  approveJson,
  expectOAuthError,
  linkDevice,
  pollStatus,
  pollToken,
  refresh,
  requestDeviceCode,
  type LinkedDevice,
  type TokenResponse,
} from '../harness/devices.js';
import { bearer, createUser, signInAdmin, type Person } from '../harness/identity.js';
import { queryRows } from '../harness/sql.js';

interface AuditRow {
  type: string;
  actor_type: string;
  subject_type: string | null;
  subject_id: string | null;
}

describe('agent lifecycle after linking: deactivation, regeneration, audit trail', () => {
  let t: TestApp;
  let owner: Person;

  function exchange(apiToken: string) {
    return t.app.inject({ method: 'POST', url: '/api/v1/sessions', headers: bearer(apiToken) });
  }

  /** Every credential of the link is refused: access JWTs, the refresh token, the API token. */
  async function credentialsRefused(linked: LinkedDevice, extraJwts: string[] = []): Promise<boolean> {
    for (const jwt of [linked.accessToken, ...extraJwts]) if ((await agentMe(t, jwt)).statusCode !== 401) return false;
    if ((await refresh(t, linked.refreshToken)).statusCode !== 400) return false;
    return (await exchange(linked.apiToken)).statusCode === 401;
  }

  async function auditRows(): Promise<AuditRow[]> {
    return queryRows<AuditRow>(
      t.database.db,
      sql`select type, actor_type, subject_type, subject_id from audit_events order by created_at`,
    );
  }

  beforeAll(async () => {
    t = await createTestApp({ config: { DEVICE_POLL_INTERVAL: 1, PLAN_LIMIT_FREE: 50 } });
    const admin = await signInAdmin(t);
    owner = await createUser(t, admin);
  });
  afterAll(() => t.close());

  it('stops every credential of a deactivated agent within a second', async () => {
    const linked = await linkDevice(t, owner, 'srv-off-01');
    const exchanged = await exchange(linked.apiToken);
    expect(exchanged.statusCode).toBe(200);
    const jwt = exchanged.json<{ token: string }>().token;
    expect((await agentMe(t, jwt)).statusCode).toBe(200);

    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/agents/${linked.agentId}/deactivate`,
      headers: owner.headers,
    });
    const deactivatedAt = Date.now();
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ agent: { id: linked.agentId, status: 'inactive' } });

    while (!(await credentialsRefused(linked, [jwt]))) {
      expect(Date.now() - deactivatedAt).toBeLessThan(1000);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(Date.now() - deactivatedAt).toBeLessThan(1000);

    const again = await t.app.inject({
      method: 'POST',
      url: `/api/v1/agents/${linked.agentId}/deactivate`,
      headers: owner.headers,
    });
    expect(again.statusCode).toBe(409);
  });

  it('regenerates: revokes every credential and returns one new API token, shown once, that exchanges for a JWT', async () => {
    const linked = await linkDevice(t, owner, 'srv-regen-01');
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/agents/${linked.agentId}/regenerate-token`,
      headers: owner.headers,
    });
    expect(res.statusCode).toBe(201);
    expect(res.headers['cache-control']).toBe('no-store');
    const issued = res.json<{ token: string; prefix: string; id: string }>();
    expect(issued.token).toMatch(/^agt_/);
    expect(await credentialsRefused(linked)).toBe(true);

    const exchanged = await exchange(issued.token);
    expect(exchanged.statusCode).toBe(200);
    const me = await agentMe(t, exchanged.json<{ token: string }>().token);
    expect(me.json()).toMatchObject({ agent: { id: linked.agentId, server_id: 'srv-regen-01' } });

    const tokens = await t.app.inject({ url: `/api/v1/agents/${linked.agentId}/tokens`, headers: owner.headers });
    const list = tokens.json<{ tokens: { id: string; revoked_at: string | null }[] }>().tokens;
    expect(list.filter((c) => c.revoked_at === null).map((c) => c.id)).toEqual([issued.id]);
    expect(tokens.body).not.toContain(issued.token);
  });

  it('records audit events for registration, approval, denial, expiry, redemption, refresh, reuse, replacement, deactivation and regeneration', async () => {
    // registration → approval → redemption → refresh → reuse detection
    const grant = await requestDeviceCode(t, { server_id: 'srv-audit-01' });
    const approved = await approveJson(t, owner, { user_code: grant.user_code });
    const agentId = approved.json<{ agent_id: string }>().agent_id;
    const tokens = (await pollToken(t, grant.device_code)).json<TokenResponse>();
    const rotated = (await refresh(t, tokens.refresh_token)).json<TokenResponse>();
    await rotate(rotated.refresh_token);
    await t.database.db.execute(
      sql`update credentials set revoked_at = now() - interval '1 hour' where prefix = ${tokens.refresh_token.slice(0, 20)}`,
    );
    expectOAuthError(await refresh(t, tokens.refresh_token), 'invalid_grant');

    // denial and expiry
    const denied = await requestDeviceCode(t);
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/agent-link/deny',
      headers: owner.headers,
      payload: { user_code: denied.user_code },
    });
    const expired = await requestDeviceCode(t);
    await t.database.db.execute(
      sql`update device_authorizations set expires_at = now() - interval '1 second' where user_code = ${expired.user_code.replace('-', '')}`,
    );
    expect((await pollStatus(t, expired.device_code)).statusCode).toBe(410);

    // replacement, deactivation, regeneration
    const replaced = await linkDevice(t, owner, 'srv-audit-02');
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/agents/replace',
      headers: owner.headers,
      payload: { server_id: 'srv-audit-02' },
    });
    const relinked = await linkDevice(t, owner, 'srv-audit-02');
    await t.app.inject({
      method: 'POST',
      url: `/api/v1/agents/${relinked.agentId}/regenerate-token`,
      headers: owner.headers,
    });
    await t.app.inject({
      method: 'POST',
      url: `/api/v1/agents/${relinked.agentId}/deactivate`,
      headers: owner.headers,
    });

    // token.refreshed is written in the background.
    const deadline = Date.now() + 2000;
    let rows = await auditRows();
    while (!rows.some((r) => r.type === 'token.refreshed' && r.subject_id === agentId) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 25));
      rows = await auditRows();
    }
    const has = (type: string, subjectId: string) => rows.some((r) => r.type === type && r.subject_id === subjectId);
    const requestId = async (userCode: string) =>
      (
        await queryRows<{ id: string }>(
          t.database.db,
          sql`select id from device_authorizations where user_code = ${userCode.replace('-', '')}`,
        )
      )[0]?.id ?? '';

    expect(has('device.registered', await requestId(grant.user_code))).toBe(true);
    expect(has('device.approved', agentId)).toBe(true);
    expect(has('device.redeemed', agentId)).toBe(true);
    expect(has('token.refreshed', agentId)).toBe(true);
    expect(has('token.reuse_detected', agentId)).toBe(true);
    expect(has('device.denied', await requestId(denied.user_code))).toBe(true);
    expect(has('device.expired', await requestId(expired.user_code))).toBe(true);
    expect(has('agent.replaced', replaced.agentId)).toBe(true);
    expect(has('agent.token_regenerated', relinked.agentId)).toBe(true);
    expect(has('agent.deactivated', relinked.agentId)).toBe(true);
    expect(rows.find((r) => r.type === 'device.approved' && r.subject_id === agentId)?.actor_type).toBe('user');

    // The agent's own log, newest first, one page at a time.
    const firstPage = await t.app.inject({ url: `/api/v1/agents/${agentId}/logs?limit=2`, headers: owner.headers });
    expect(firstPage.statusCode).toBe(200);
    const page = firstPage.json<{ events: { type: string; created_at: string }[]; next_cursor: string | null }>();
    expect(page.events).toHaveLength(2);
    expect(page.next_cursor).toEqual(expect.any(String));
    const rest = await t.app.inject({
      url: `/api/v1/agents/${agentId}/logs?limit=200&cursor=${page.next_cursor ?? ''}`,
      headers: owner.headers,
    });
    const all = [...page.events, ...rest.json<{ events: { type: string; created_at: string }[] }>().events];
    const types = all.map((e) => e.type);
    for (const type of ['device.approved', 'device.redeemed', 'token.refreshed', 'token.reuse_detected'])
      expect(types).toContain(type);
    const times = all.map((e) => e.created_at);
    expect([...times].sort().reverse()).toEqual(times);
  });

  async function rotate(refreshToken: string) {
    const res = await refresh(t, refreshToken);
    expect(res.statusCode).toBe(200);
  }
});
