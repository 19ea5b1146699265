import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../harness/app.js';
import {
  agentMe,
  approveJson,
  expectOAuthError,
  formField,
  linkDevice,
  openLink,
  pollStatus,
  pollToken,
  refresh,
  registerDevice,
  requestDeviceCode,
  type LinkedDevice,
  type TokenResponse,
} from '../harness/devices.js';
import { bearer, createUser, signInAdmin, type Person } from '../harness/identity.js';

describe('approval rules: server_id conflicts, replacement, plan limits, tenants', () => {
  let t: TestApp;
  let admin: Person;
  let alice: Person;
  let bob: Person;

  async function agentStatus(person: Person, agentId: string): Promise<string> {
    const res = await t.app.inject({ url: `/api/v1/agents/${agentId}`, headers: person.headers });
    expect(res.statusCode).toBe(200);
    return res.json<{ agent: { status: string } }>().agent.status;
  }

  /** Every credential the first link handed out has stopped working. */
  async function expectCredentialsDead(linked: LinkedDevice) {
    expect((await agentMe(t, linked.accessToken)).statusCode).toBe(401);
    expectOAuthError(await refresh(t, linked.refreshToken), 'invalid_grant');
    const exchange = await t.app.inject({ method: 'POST', url: '/api/v1/sessions', headers: bearer(linked.apiToken) });
    expect(exchange.statusCode).toBe(401);
  }

  beforeAll(async () => {
    t = await createTestApp({ config: { DEVICE_POLL_INTERVAL: 1 } });
    admin = await signInAdmin(t);
    alice = await createUser(t, admin, { name: 'Alice', plan: 'pro' });
    bob = await createUser(t, admin, { name: 'Bob', plan: 'pro' });
  });
  afterAll(() => t.close());

  it('answers 409 server_id_conflict with a suggestion when the person already has an active agent with that server_id', async () => {
    await linkDevice(t, alice, 'srv-dup-01');
    const again = await registerDevice(t, { device_name: 'dup', device_info: { server_id: 'srv-dup-01' } });
    const res = await approveJson(t, alice, { user_code: again.user_code });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({
      error: 'server_id_conflict',
      suggestion: expect.stringContaining('/api/v1/agents/replace'),
    });
    // The request is still pending: the person can decide to replace.
    expect((await pollStatus(t, again.device_code)).json()).toMatchObject({ status: 'pending' });
    // server_id is unique per owner: another person may link the same one.
    expect((await approveJson(t, bob, { user_code: again.user_code })).statusCode).toBe(200);
  });

  it('offers "Replace the existing agent" on the confirmation page; approving with it marks the old agent replaced and stops its credentials', async () => {
    const old = await linkDevice(t, alice, 'srv-rep-01');
    const grant = await requestDeviceCode(t, { server_id: 'srv-rep-01', device_name: 'rebuilt box' });

    const link = await openLink(t, alice, grant.user_code);
    expect(link.confirm.statusCode).toBe(200);
    expect(link.confirm.body).toContain('Replace the existing agent');
    expect(link.confirm.body).toMatch(/<input type="checkbox" name="replace" value="true"/);
    const userCode = formField(link.confirm.body, '/link/approve', 'user_code') ?? '';

    const refused = await link.post('/link/approve', { user_code: userCode });
    expect(refused.statusCode).toBe(409);
    expect(refused.body).toContain('Replace the existing agent');
    expect(await agentStatus(alice, old.agentId)).toBe('approved');

    const replaced = await link.post('/link/approve', { user_code: userCode, replace: 'true' });
    expect(replaced.statusCode).toBe(200);
    expect(await agentStatus(alice, old.agentId)).toBe('replaced');
    await expectCredentialsDead(old);

    const issued = await pollToken(t, grant.device_code);
    expect(issued.statusCode).toBe(200);
    const me = await agentMe(t, issued.json<TokenResponse>().access_token);
    expect(me.json().agent).toMatchObject({ server_id: 'srv-rep-01' });
    expect(me.json().agent.id).not.toBe(old.agentId);
  });

  it('replaces an agent through POST /api/v1/agents/replace, after which the server_id links without conflict', async () => {
    const old = await linkDevice(t, alice, 'srv-rep-02');
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/agents/replace',
      headers: alice.headers,
      payload: { server_id: 'srv-rep-02' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ agent: { id: old.agentId, status: 'replaced' } });
    await expectCredentialsDead(old);

    const fresh = await linkDevice(t, alice, 'srv-rep-02');
    expect(fresh.agentId).not.toBe(old.agentId);
    expect((await agentMe(t, fresh.accessToken)).statusCode).toBe(200);

    const unknown = await t.app.inject({
      method: 'POST',
      url: '/api/v1/agents/replace',
      headers: alice.headers,
      payload: { server_id: 'srv-never-linked' },
    });
    expect(unknown.statusCode).toBe(404);
  });

  it('stops a free plan at 3 active agents with 403 plan_limit_reached, on the JSON API and the page, until one is deactivated', async () => {
    const frugal = await createUser(t, admin, { name: 'Fran', plan: 'free' });
    const linked = [];
    for (const n of [1, 2, 3]) linked.push(await linkDevice(t, frugal, `srv-free-0${n}`));

    const fourth = await registerDevice(t, { device_name: 'four', device_info: { server_id: 'srv-free-04' } });
    const res = await approveJson(t, frugal, { user_code: fourth.user_code });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ error: 'plan_limit_reached', plan: 'free', limit: 3 });

    const link = await openLink(t, frugal, fourth.user_code);
    const page = await link.post('/link/approve', {
      user_code: formField(link.confirm.body, '/link/approve', 'user_code') ?? '',
    });
    expect(page.statusCode).toBe(403);
    expect(page.body).toContain('Plan limit reached');

    // Replacing one at the limit frees its slot first.
    const rebuilt = await registerDevice(t, { device_name: 'rebuilt', device_info: { server_id: 'srv-free-01' } });
    expect((await approveJson(t, frugal, { user_code: rebuilt.user_code, replace: true })).statusCode).toBe(200);

    const deactivated = await t.app.inject({
      method: 'POST',
      url: `/api/v1/agents/${linked[1]?.agentId ?? ''}/deactivate`,
      headers: frugal.headers,
    });
    expect(deactivated.statusCode).toBe(200);
    expect((await approveJson(t, frugal, { user_code: fourth.user_code })).statusCode).toBe(200);
  });

  it('takes the free plan limit from PLAN_LIMIT_FREE', async () => {
    const strict = await createTestApp({ database: t.database, config: { PLAN_LIMIT_FREE: 1 } });
    try {
      const solo = await createUser(t, admin, { plan: 'free' });
      const first = await registerDevice(strict, { device_name: 'one', device_info: { server_id: 'srv-solo-01' } });
      expect((await approveJson(strict, solo, { user_code: first.user_code })).statusCode).toBe(200);
      const second = await registerDevice(strict, { device_name: 'two', device_info: { server_id: 'srv-solo-02' } });
      const res = await approveJson(strict, solo, { user_code: second.user_code });
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ error: 'plan_limit_reached', limit: 1 });
    } finally {
      await strict.close();
    }
  });

  it('links into a team the approver administers, and answers 404 when someone else uses that team', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/teams',
      headers: alice.headers,
      payload: { name: 'Alice ops' },
    });
    expect(created.statusCode).toBe(201);
    const teamId = created.json<{ team: { id: string } }>().team.id;

    const grant = await registerDevice(t, { device_name: 'team box', device_info: { server_id: 'srv-team-01' } });
    const intruder = await approveJson(t, bob, { user_code: grant.user_code, team_id: teamId });
    expect(intruder.statusCode).toBe(404);
    expect((await pollStatus(t, grant.device_code)).json()).toMatchObject({ status: 'pending' });

    const link = await openLink(t, bob, grant.user_code);
    expect(link.confirm.body).not.toContain(teamId);
    const page = await link.post('/link/approve', { user_code: grant.user_code, team_id: teamId });
    expect(page.statusCode).toBe(404);

    const res = await approveJson(t, alice, { user_code: grant.user_code, team_id: teamId });
    expect(res.statusCode).toBe(200);
    const agent = await t.app.inject({
      url: `/api/v1/agents/${res.json<{ agent_id: string }>().agent_id}`,
      headers: alice.headers,
    });
    expect(agent.json()).toMatchObject({ agent: { team_id: teamId, owner_id: alice.id } });
  });

  it("hides one person's agent, its logs and tokens from another, who cannot deactivate, regenerate or replace it", async () => {
    const mine = await linkDevice(t, alice, 'srv-private-01');
    const base = `/api/v1/agents/${mine.agentId}`;
    for (const [method, url] of [
      ['GET', base],
      ['GET', `${base}/logs`],
      ['GET', `${base}/tokens`],
      ['POST', `${base}/tokens`],
      ['POST', `${base}/deactivate`],
      ['POST', `${base}/regenerate-token`],
    ] as const) {
      const res = await t.app.inject({
        method,
        url,
        headers: bob.headers,
        ...(method === 'POST' ? { payload: {} } : {}),
      });
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      expect(res.json()).toMatchObject({ error: 'not_found' });
    }
    const replace = await t.app.inject({
      method: 'POST',
      url: '/api/v1/agents/replace',
      headers: bob.headers,
      payload: { server_id: 'srv-private-01' },
    });
    expect(replace.statusCode).toBe(404);
    const list = await t.app.inject({ url: '/api/v1/agents', headers: bob.headers });
    expect(list.json<{ agents: { id: string }[] }>().agents.map((a) => a.id)).not.toContain(mine.agentId);

    expect(await agentStatus(alice, mine.agentId)).toBe('approved');
    expect((await agentMe(t, mine.accessToken)).statusCode).toBe(200);
    expect((await t.app.inject({ url: `${base}/logs`, headers: alice.headers })).statusCode).toBe(200);
  });
});
