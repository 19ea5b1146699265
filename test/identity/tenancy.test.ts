import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../harness/app.js';
import {
  bearer,
  createAgentWithToken,
  createUser,
  exchange,
  idsIn,
  signInAdmin,
  type AgentWithToken,
  type Person,
} from '../harness/identity.js';

interface Tenant {
  person: Person;
  agent: AgentWithToken;
  teamId: string;
}

describe('tenant isolation between people', () => {
  let t: TestApp;
  let admin: Person;
  let alice: Tenant;
  let bob: Tenant;

  const as = (who: Person, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) =>
    t.app.inject({ method, url, headers: who.headers, ...(payload ? { payload } : {}) });

  async function tenant(name: string, serverId: string): Promise<Tenant> {
    const person = await createUser(t, admin, { name });
    const agent = await createAgentWithToken(t, admin, { owner: person, issuer: person, serverId });
    const team = await as(person, 'POST', '/api/v1/teams', { name: `${name}'s team` });
    return { person, agent, teamId: team.json<{ team: { id: string } }>().team.id };
  }

  beforeAll(async () => {
    t = await createTestApp();
    admin = await signInAdmin(t);
    alice = await tenant('Alice', 'srv-shared-name');
    // Same server_id on purpose: server_id is unique per owner, not globally.
    bob = await tenant('Bob', 'srv-shared-name');
  });
  afterAll(() => t.close());

  it('lists only their own agents and teams to each person', async () => {
    expect(idsIn(await as(alice.person, 'GET', '/api/v1/agents'), 'agents')).toEqual([alice.agent.agent.id]);
    expect(idsIn(await as(bob.person, 'GET', '/api/v1/agents'), 'agents')).toEqual([bob.agent.agent.id]);
    expect(idsIn(await as(alice.person, 'GET', '/api/v1/teams'), 'teams')).toEqual([alice.teamId]);
    expect(idsIn(await as(bob.person, 'GET', '/api/v1/teams'), 'teams')).toEqual([bob.teamId]);
    const me = await as(bob.person, 'GET', '/api/v1/me');
    expect(idsIn(me, 'teams')).toEqual([bob.teamId]);
  });

  it("answers 404 for every read of another person's agent, its tokens and its logs", async () => {
    const id = alice.agent.agent.id;
    for (const url of [`/api/v1/agents/${id}`, `/api/v1/agents/${id}/tokens`, `/api/v1/agents/${id}/logs`]) {
      const res = await as(bob.person, 'GET', url);
      expect(res.statusCode, url).toBe(404);
      expect(res.body).not.toContain(alice.agent.prefix);
    }
  });

  it("answers 404 for every change to another person's agent or token, and changes nothing", async () => {
    const id = alice.agent.agent.id;
    expect((await as(bob.person, 'POST', `/api/v1/agents/${id}/tokens`, {})).statusCode).toBe(404);
    expect((await as(bob.person, 'POST', `/api/v1/agents/${id}/regenerate-token`)).statusCode).toBe(404);
    expect((await as(bob.person, 'POST', `/api/v1/agents/${id}/deactivate`)).statusCode).toBe(404);
    expect((await as(bob.person, 'DELETE', `/api/v1/tokens/${alice.agent.prefix}`)).statusCode).toBe(404);
    // Bob's own agent has that server_id; Alice's is untouched by his replace.
    expect(await exchange(t, alice.agent.token)).toMatch(/^ey/);
    const list = await as(alice.person, 'GET', `/api/v1/agents/${id}/tokens`);
    expect(list.json().tokens).toEqual([expect.objectContaining({ prefix: alice.agent.prefix, revoked_at: null })]);
  });

  it("answers 404 for another person's team, for reading and for membership changes", async () => {
    expect((await as(bob.person, 'GET', `/api/v1/teams/${alice.teamId}`)).statusCode).toBe(404);
    const join = await as(bob.person, 'POST', `/api/v1/teams/${alice.teamId}/members`, {
      email: bob.person.email,
      role: 'admin',
    });
    expect(join.statusCode).toBe(404);
    const kick = await as(bob.person, 'DELETE', `/api/v1/teams/${alice.teamId}/members/${alice.person.id}`);
    expect(kick.statusCode).toBe(404);
  });

  it('gives the same 404 body for a hidden resource as for one that does not exist', async () => {
    const strip = (body: Record<string, unknown>) => ({ ...body, request_id: undefined });
    const hidden = await as(bob.person, 'GET', `/api/v1/agents/${alice.agent.agent.id}`);
    const missing = await as(bob.person, 'GET', `/api/v1/agents/${randomUUID()}`);
    expect(strip(hidden.json())).toEqual(strip(missing.json()));
    const hiddenTeam = await as(bob.person, 'GET', `/api/v1/teams/${alice.teamId}`);
    const missingTeam = await as(bob.person, 'GET', `/api/v1/teams/${randomUUID()}`);
    expect(strip(hiddenTeam.json())).toEqual(strip(missingTeam.json()));
    const hiddenToken = await as(bob.person, 'DELETE', `/api/v1/tokens/${alice.agent.prefix}`);
    const missingToken = await as(bob.person, 'DELETE', '/api/v1/tokens/agt_zzzzzz');
    expect(strip(hiddenToken.json())).toEqual(strip(missingToken.json()));
  });

  it("replaces only the caller's own agent when two people use the same server_id", async () => {
    const carol = await tenant('Carol', 'srv-twin');
    const dave = await tenant('Dave', 'srv-twin');
    const res = await as(dave.person, 'POST', '/api/v1/agents/replace', { server_id: 'srv-twin' });
    expect(res.statusCode).toBe(200);
    expect(res.json().agent.id).toBe(dave.agent.agent.id);
    const carols = await as(carol.person, 'GET', `/api/v1/agents/${carol.agent.agent.id}`);
    expect(carols.json().agent.status).toBe('approved');
  });

  it("does not let an agent's JWT reach person-only endpoints or other tenants' data", async () => {
    const jwt = await exchange(t, bob.agent.token);
    for (const url of [
      '/api/v1/agents',
      `/api/v1/agents/${alice.agent.agent.id}`,
      `/api/v1/teams/${alice.teamId}`,
      '/api/v1/teams',
      '/api/v1/users',
      '/api/v1/audit',
    ]) {
      const res = await t.app.inject({ url, headers: bearer(jwt) });
      expect(res.statusCode, url).toBe(401);
    }
    const me = await t.app.inject({ url: '/api/v1/me', headers: bearer(jwt) });
    expect(me.json().agent).toMatchObject({ id: bob.agent.agent.id, owner_id: bob.person.id });
  });

  it('keeps person-administration to server admins', async () => {
    expect((await as(bob.person, 'GET', '/api/v1/users')).statusCode).toBe(403);
    expect((await as(bob.person, 'GET', '/api/v1/audit')).statusCode).toBe(403);
    const promote = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/users/${bob.person.id}`,
      headers: bob.person.headers,
      payload: { role: 'admin' },
    });
    expect(promote.statusCode).toBe(403);
    expect((await as(bob.person, 'POST', '/api/v1/login-links', { email: alice.person.email })).statusCode).toBe(403);
  });
});
