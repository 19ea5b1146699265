import { randomBytes } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { createTestApp, type TestApp } from '../harness/app.js';
import {
  bearer,
  createAgentWithToken,
  createUser,
  exchange,
  formBody,
  openForm,
  PASSWORD,
  signIn,
  signInAdmin,
  type AgentWithToken,
  type Person,
} from '../harness/identity.js';
import { PEOPLE, type Caller } from './auth-matrix.table.js';

/** Setup requests come from their own address so they do not eat the anonymous rate-limit bucket. */
export const SETUP_IP = '192.0.2.200';

type TeamRole = 'viewer' | 'member' | 'admin';
type MatrixAgent = AgentWithToken & { jwt: string };

/** Everyone the matrix calls as, and the owner's team, room and agents they call about. */
export interface MatrixWorld {
  t: TestApp;
  people: Record<'owner' | 'other' | 'admin' | 'viewer' | 'member' | 'teamAdmin', Person>;
  /** The server admin signed in a second time: setup work stays out of the admin column's rate-limit bucket. */
  setupAdmin: Person;
  agents: Record<'agent' | 'sameTenantAgent' | 'foreignAgent' | 'revokedAgent', MatrixAgent>;
  /** The owner's team; its members hold the team roles of the matrix. */
  teamId: string;
  /** The owner's team room; `agent` and `revokedAgent` are its members. */
  roomId: string;
  /** A request made for the setup of a probe, not one of the matrix's cells. */
  setup: (
    method: 'POST' | 'PATCH' | 'DELETE',
    url: string,
    payload?: object,
    who?: Person,
  ) => Promise<LightMyRequestResponse>;
}

export const suffix = () => randomBytes(4).toString('hex');

export async function buildWorld(): Promise<MatrixWorld> {
  const t = await createTestApp();
  const admin = await signInAdmin(t);
  const setupAdmin = await signIn(t, { email: admin.email, password: PASSWORD });
  const setup: MatrixWorld['setup'] = (method, url, payload, who) =>
    t.app.inject({
      method,
      url,
      remoteAddress: SETUP_IP,
      ...(who ? { headers: who.headers } : {}),
      ...(payload ? { payload } : {}),
    });
  // Approvals create agents; keep plan limits out of the way of the matrix.
  const upgrade = await setup('PATCH', `/api/v1/users/${admin.id}`, { plan: 'enterprise' }, setupAdmin);
  expect(upgrade.statusCode).toBe(200);
  const person = (name: string) => createUser(t, setupAdmin, { name, plan: 'enterprise' });
  const owner = await person('Owner');
  const other = await person('Other');
  const team = await setup('POST', '/api/v1/teams', { name: 'Matrix' }, owner);
  const teamId = team.json<{ team: { id: string } }>().team.id;
  const inTeam = async (name: string, role: TeamRole) => {
    const member = await person(name);
    const add = await setup('POST', `/api/v1/teams/${teamId}/members`, { email: member.email, role }, owner);
    expect(add.statusCode).toBe(201);
    return member;
  };
  const people = {
    owner,
    other,
    admin,
    viewer: await inTeam('Viewer', 'viewer'),
    member: await inTeam('Member', 'member'),
    teamAdmin: await inTeam('Team admin', 'admin'),
  };

  const agentOf = async (of: Person, serverId: string, team: string | undefined) => {
    const created = await createAgentWithToken(t, setupAdmin, {
      owner: of,
      serverId,
      ...(team ? { teamId: team } : {}),
    });
    return { ...created, jwt: await exchange(t, created.token) };
  };
  const agents = {
    agent: await agentOf(owner, 'srv-matrix', teamId),
    sameTenantAgent: await agentOf(owner, 'srv-matrix-peer', teamId),
    foreignAgent: await agentOf(other, 'srv-matrix-foreign', undefined),
    revokedAgent: await agentOf(owner, 'srv-matrix-revoked', teamId),
  };
  const room = await setup(
    'POST',
    '/api/v1/rooms',
    { slug: `room-${suffix()}`, name: 'Matrix', team_id: teamId },
    owner,
  );
  expect(room.statusCode).toBe(201);
  const roomId = room.json<{ room: { id: string } }>().room.id;
  for (const member of [agents.agent, agents.revokedAgent]) {
    const add = await setup('POST', `/api/v1/rooms/${roomId}/members`, { agent_id: member.agent.id }, owner);
    expect(add.statusCode).toBe(201);
  }

  // The revoked agent's JWT worked until its API token was revoked: every 401 it gets is the revocation's.
  const revoked = agents.revokedAgent;
  expect((await t.app.inject({ url: '/api/v1/me', headers: bearer(revoked.jwt) })).statusCode).toBe(200);
  expect((await setup('DELETE', `/api/v1/tokens/${revoked.prefix}`, undefined, owner)).statusCode).toBe(204);

  return { t, people, setupAdmin, agents, teamId, roomId, setup };
}

/** A request per caller, built anew for every cell. */
export type ProbeFor = (caller: Caller) => Probe | Promise<Probe>;

export interface Probe {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  json?: object;
  /** A raw body (line protocol, protobuf), sent with the probe's own content-type header. */
  body?: string | Buffer;
  /** Sent as an HTML form; cookie-authenticated callers include the page's CSRF token. */
  form?: Record<string, string>;
  /** Sign the person in anew for this request (the request ends the session). */
  freshSession?: boolean;
  /** Extra request headers (MCP clients must accept both JSON and SSE). */
  headers?: Record<string, string>;
}

async function credentialsFor(world: MatrixWorld, caller: Caller, fresh: boolean): Promise<Record<string, string>> {
  if (caller === 'anon') return {};
  if (caller === 'apiToken') return bearer(world.agents.agent.token);
  if (PEOPLE.has(caller)) {
    const person = world.people[caller as keyof MatrixWorld['people']];
    return fresh ? (await signIn(world.t, { email: person.email, password: PASSWORD })).headers : person.headers;
  }
  return bearer(world.agents[caller as keyof MatrixWorld['agents']].jwt);
}

/** Sends the probe as `caller` would: people as a same-origin browser, agents with their bearer token. */
export async function send(world: MatrixWorld, caller: Caller, probe: Probe) {
  const { t } = world;
  const headers = { ...probe.headers, ...(await credentialsFor(world, caller, probe.freshSession === true)) };
  if (probe.form) {
    const fields = { ...probe.form };
    if (PEOPLE.has(caller)) {
      // A browser posts the form of a page it loaded: take the CSRF token (and its seed cookie) from /link.
      const page = await openForm(t, '/link', headers['cookie']);
      fields['_csrf'] = page.csrf;
      headers['cookie'] = page.cookie;
    }
    const body = formBody(fields);
    return t.app.inject({
      method: probe.method,
      url: probe.url,
      headers: { ...headers, ...body.headers },
      payload: body.payload,
    });
  }
  return t.app.inject({
    method: probe.method,
    url: probe.url,
    headers,
    ...(probe.json ? { payload: probe.json } : probe.body !== undefined ? { payload: probe.body } : {}),
  });
}
