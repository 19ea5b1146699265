import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../harness/app.js';
import { createAgentWithToken, createUser, idsIn, signInAdmin, type Person } from '../harness/identity.js';

describe('teams and team roles', () => {
  let t: TestApp;
  let admin: Person;
  let owner: Person;
  let teamAdmin: Person;
  let member: Person;
  let viewer: Person;
  let outsider: Person;

  const call = (method: 'GET' | 'POST' | 'DELETE', url: string, who: Person, payload?: object) =>
    t.app.inject({ method, url, headers: who.headers, ...(payload ? { payload } : {}) });

  async function newTeam(name = 'Platform'): Promise<string> {
    const res = await call('POST', '/api/v1/teams', owner, { name });
    expect(res.statusCode).toBe(201);
    return res.json<{ team: { id: string } }>().team.id;
  }

  /** A team owned by `owner` with one person in each other role. */
  async function staffedTeam(): Promise<string> {
    const id = await newTeam();
    for (const [who, role] of [
      [teamAdmin, 'admin'],
      [member, 'member'],
      [viewer, 'viewer'],
    ] as const)
      expect((await call('POST', `/api/v1/teams/${id}/members`, owner, { email: who.email, role })).statusCode).toBe(
        201,
      );
    return id;
  }

  beforeAll(async () => {
    t = await createTestApp();
    admin = await signInAdmin(t);
    owner = await createUser(t, admin, { name: 'Olga Owner' });
    teamAdmin = await createUser(t, admin, { name: 'Adam Admin' });
    member = await createUser(t, admin, { name: 'Mia Member' });
    viewer = await createUser(t, admin, { name: 'Vic Viewer' });
    outsider = await createUser(t, admin, { name: 'Otto Outsider' });
  });
  afterAll(() => t.close());

  it("makes the creator the owner and lists the team with the caller's role", async () => {
    const res = await call('POST', '/api/v1/teams', owner, { name: 'Ops' });
    expect(res.statusCode).toBe(201);
    const team = res.json().team;
    expect(team).toEqual({ id: expect.any(String), name: 'Ops', role: 'owner' });
    const list = await call('GET', '/api/v1/teams', owner);
    expect(list.json().teams).toContainEqual({ id: team.id, name: 'Ops', role: 'owner' });
    const me = await call('GET', '/api/v1/me', owner);
    expect(me.json().teams).toContainEqual({ id: team.id, name: 'Ops', role: 'owner' });
  });

  it('adds members by email with a role, and shows them to every member', async () => {
    const id = await staffedTeam();
    const res = await call('GET', `/api/v1/teams/${id}`, viewer);
    expect(res.statusCode).toBe(200);
    const roles = Object.fromEntries(
      res.json<{ members: { user_id: string; role: string }[] }>().members.map((m) => [m.user_id, m.role]),
    );
    expect(roles).toEqual({
      [owner.id]: 'owner',
      [teamAdmin.id]: 'admin',
      [member.id]: 'member',
      [viewer.id]: 'viewer',
    });
    expect((await call('GET', '/api/v1/teams', viewer)).json().teams).toContainEqual({
      id,
      name: 'Platform',
      role: 'viewer',
    });
  });

  it('answers 404 to people outside the team, for reading and for changing it', async () => {
    const id = await staffedTeam();
    expect((await call('GET', `/api/v1/teams/${id}`, outsider)).statusCode).toBe(404);
    expect(
      (await call('POST', `/api/v1/teams/${id}/members`, outsider, { email: outsider.email, role: 'viewer' }))
        .statusCode,
    ).toBe(404);
    expect((await call('DELETE', `/api/v1/teams/${id}/members/${viewer.id}`, outsider)).statusCode).toBe(404);
    expect(idsIn(await call('GET', '/api/v1/teams', outsider), 'teams')).not.toContain(id);
  });

  it('refuses members and viewers who try to manage the team with 403', async () => {
    const id = await staffedTeam();
    for (const who of [member, viewer]) {
      const add = await call('POST', `/api/v1/teams/${id}/members`, who, { email: outsider.email, role: 'viewer' });
      expect(add.statusCode).toBe(403);
      const remove = await call('DELETE', `/api/v1/teams/${id}/members/${teamAdmin.id}`, who);
      expect(remove.statusCode).toBe(403);
    }
  });

  it('lets a team admin add members and viewers but not grant admin', async () => {
    const id = await staffedTeam();
    expect(
      (await call('POST', `/api/v1/teams/${id}/members`, teamAdmin, { email: outsider.email, role: 'member' }))
        .statusCode,
    ).toBe(201);
    const grant = await call('POST', `/api/v1/teams/${id}/members`, teamAdmin, {
      email: outsider.email,
      role: 'admin',
    });
    expect(grant.statusCode).toBe(403);
  });

  it('does not let a team admin demote or remove another admin, which only the owner may do', async () => {
    const id = await staffedTeam();
    expect(
      (await call('POST', `/api/v1/teams/${id}/members`, owner, { email: outsider.email, role: 'admin' })).statusCode,
    ).toBe(201);
    const demote = await call('POST', `/api/v1/teams/${id}/members`, teamAdmin, {
      email: outsider.email,
      role: 'viewer',
    });
    expect(demote.statusCode).toBe(403);
    const remove = await call('DELETE', `/api/v1/teams/${id}/members/${outsider.id}`, teamAdmin);
    expect(remove.statusCode).toBe(403);
    const members = (await call('GET', `/api/v1/teams/${id}`, owner)).json<{
      members: { user_id: string; role: string }[];
    }>().members;
    expect(members).toContainEqual(expect.objectContaining({ user_id: outsider.id, role: 'admin' }));

    const byOwner = await call('POST', `/api/v1/teams/${id}/members`, owner, { email: outsider.email, role: 'viewer' });
    expect(byOwner.statusCode).toBe(201);
  });

  it('keeps the owner permanent: no one can add a second owner or remove or demote the owner', async () => {
    const id = await staffedTeam();
    const second = await call('POST', `/api/v1/teams/${id}/members`, owner, { email: member.email, role: 'owner' });
    expect(second.statusCode).toBe(409);
    expect((await call('DELETE', `/api/v1/teams/${id}/members/${owner.id}`, owner)).statusCode).toBe(409);
    expect((await call('DELETE', `/api/v1/teams/${id}/members/${owner.id}`, admin)).statusCode).toBe(409);
    const demote = await call('POST', `/api/v1/teams/${id}/members`, owner, { email: owner.email, role: 'viewer' });
    expect(demote.statusCode).toBe(409);
  });

  it('lets any member leave the team themselves', async () => {
    const id = await staffedTeam();
    expect((await call('DELETE', `/api/v1/teams/${id}/members/${viewer.id}`, viewer)).statusCode).toBe(204);
    expect((await call('GET', `/api/v1/teams/${id}`, viewer)).statusCode).toBe(404);
  });

  it('answers 404 for unknown people and non-members when adding or removing', async () => {
    const id = await staffedTeam();
    const unknown = await call('POST', `/api/v1/teams/${id}/members`, owner, {
      email: 'nobody@example.com',
      role: 'member',
    });
    expect(unknown.statusCode).toBe(404);
    expect((await call('DELETE', `/api/v1/teams/${id}/members/${outsider.id}`, owner)).statusCode).toBe(404);
  });

  it('lets server admins manage any team', async () => {
    const id = await staffedTeam();
    expect((await call('GET', `/api/v1/teams/${id}`, admin)).statusCode).toBe(200);
    expect(
      (await call('POST', `/api/v1/teams/${id}/members`, admin, { email: outsider.email, role: 'admin' })).statusCode,
    ).toBe(201);
    expect((await call('DELETE', `/api/v1/teams/${id}/members/${outsider.id}`, admin)).statusCode).toBe(204);
  });

  it('shares team agents by role: everyone sees them, only team admins and the owner manage their tokens', async () => {
    const id = await staffedTeam();
    const { agent, prefix } = await createAgentWithToken(t, admin, { owner: outsider, teamId: id });
    for (const who of [owner, teamAdmin, member, viewer]) {
      const list = await call('GET', '/api/v1/agents', who);
      expect(idsIn(list, 'agents')).toContain(agent.id);
      expect((await call('GET', `/api/v1/agents/${agent.id}`, who)).statusCode).toBe(200);
    }
    for (const who of [member, viewer]) {
      expect((await call('POST', `/api/v1/agents/${agent.id}/tokens`, who, {})).statusCode).toBe(403);
      expect((await call('GET', `/api/v1/agents/${agent.id}/tokens`, who)).statusCode).toBe(403);
      expect((await call('DELETE', `/api/v1/tokens/${prefix}`, who)).statusCode).toBe(403);
      expect((await call('POST', `/api/v1/agents/${agent.id}/deactivate`, who)).statusCode).toBe(403);
    }
    for (const who of [owner, teamAdmin]) {
      expect((await call('POST', `/api/v1/agents/${agent.id}/tokens`, who, {})).statusCode).toBe(201);
      expect((await call('GET', `/api/v1/agents/${agent.id}/tokens`, who)).statusCode).toBe(200);
    }
    // Leaving the team takes the view away at once.
    expect((await call('DELETE', `/api/v1/teams/${id}/members/${member.id}`, member)).statusCode).toBe(204);
    expect((await call('GET', `/api/v1/agents/${agent.id}`, member)).statusCode).toBe(404);
  });

  it('validates team names', async () => {
    expect((await call('POST', '/api/v1/teams', owner, { name: '   ' })).statusCode).toBe(400);
    expect((await call('POST', '/api/v1/teams', owner, { name: 'x'.repeat(101) })).statusCode).toBe(400);
  });
});
