import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/lib/paths.js';
import { createTestApp, type TestApp } from '../harness/app.js';
import {
  addUser,
  bearer,
  createAgentWithToken,
  createUser,
  exchange,
  formBody,
  issueToken,
  loginLinkPath,
  openForm,
  PASSWORD,
  signIn,
  signInAdmin,
  uniqueEmail,
  type AgentWithToken,
  type Person,
} from '../harness/identity.js';

/**
 * The endpoint auth matrix: for every route, the kinds it declares (config.auth)
 * and the status a well-formed request gets with each credential kind:
 * [anon, user (owner of the resources), other user, admin, agent JWT, API token].
 * The agent (role `agent`) belongs to the user and is a member of the user's room.
 * docs/API.md carries the same table; a test below keeps the two identical.
 */
const MATRIX: Record<string, { accepts: string; statuses: readonly [number, number, number, number, number, number] }> =
  {
    'GET /healthz': { accepts: 'anon', statuses: [200, 200, 200, 200, 200, 200] },
    'GET /readyz': { accepts: 'anon', statuses: [200, 200, 200, 200, 200, 200] },
    'GET /metrics': { accepts: 'anon', statuses: [200, 200, 200, 200, 200, 200] },
    'GET /openapi.json': { accepts: 'anon', statuses: [200, 200, 200, 200, 200, 200] },
    'GET /': { accepts: 'anon', statuses: [303, 303, 303, 303, 303, 303] },
    'GET /dashboard': { accepts: 'anon', statuses: [303, 200, 200, 200, 303, 303] },
    'GET /events': { accepts: 'user', statuses: [401, 200, 200, 200, 401, 401] },
    'GET /agents/:id': { accepts: 'anon', statuses: [303, 200, 404, 200, 303, 303] },
    'POST /agents/:id/tokens': { accepts: 'user', statuses: [401, 200, 404, 200, 401, 401] },
    'POST /agents/:id/regenerate': { accepts: 'user', statuses: [401, 200, 404, 200, 401, 401] },
    'POST /agents/:id/tokens/:prefix/revoke': { accepts: 'user', statuses: [401, 303, 404, 303, 401, 401] },
    'POST /agents/:id/deactivate': { accepts: 'user', statuses: [401, 303, 404, 303, 401, 401] },
    'GET /rooms': { accepts: 'anon', statuses: [303, 200, 200, 200, 303, 303] },
    'GET /rooms/:id': { accepts: 'anon', statuses: [303, 200, 404, 200, 303, 303] },
    'GET /rooms/:id/stream': { accepts: 'user', statuses: [401, 200, 404, 200, 401, 401] },
    'POST /rooms/:id/messages': { accepts: 'user', statuses: [401, 303, 404, 303, 401, 401] },
    'GET /teams': { accepts: 'anon', statuses: [303, 200, 200, 200, 303, 303] },
    'POST /teams': { accepts: 'user', statuses: [401, 303, 303, 303, 401, 401] },
    'GET /teams/:id': { accepts: 'anon', statuses: [303, 200, 404, 200, 303, 303] },
    'POST /teams/:id/members': { accepts: 'user', statuses: [401, 303, 404, 303, 401, 401] },
    'POST /teams/:id/members/:user_id/remove': { accepts: 'user', statuses: [401, 303, 404, 303, 401, 401] },
    'GET /admin': { accepts: 'anon', statuses: [303, 404, 404, 200, 303, 303] },
    'GET /admin/teams': { accepts: 'anon', statuses: [303, 404, 404, 200, 303, 303] },
    'GET /admin/audit': { accepts: 'anon', statuses: [303, 404, 404, 200, 303, 303] },
    'POST /admin/users': { accepts: 'admin', statuses: [401, 403, 403, 303, 401, 401] },
    'POST /admin/users/:id': { accepts: 'admin', statuses: [401, 403, 403, 303, 401, 401] },
    'GET /login': { accepts: 'anon', statuses: [200, 303, 303, 303, 200, 200] },
    'POST /login': { accepts: 'anon', statuses: [200, 200, 200, 200, 200, 200] },
    'POST /logout': { accepts: 'user', statuses: [401, 204, 204, 204, 401, 401] },
    'GET /auth/token/:token': { accepts: 'anon', statuses: [200, 200, 200, 200, 200, 200] },
    'POST /auth/token/:token': { accepts: 'anon', statuses: [303, 303, 303, 303, 303, 303] },
    'GET /api/v1/me': { accepts: 'user, agent', statuses: [401, 200, 200, 200, 200, 401] },
    'POST /api/v1/users': { accepts: 'admin', statuses: [401, 403, 403, 201, 401, 401] },
    'GET /api/v1/users': { accepts: 'admin', statuses: [401, 403, 403, 200, 401, 401] },
    'PATCH /api/v1/users/:id': { accepts: 'admin', statuses: [401, 403, 403, 200, 401, 401] },
    'POST /api/v1/login-links': { accepts: 'admin', statuses: [401, 403, 403, 201, 401, 401] },
    'POST /api/v1/teams': { accepts: 'user', statuses: [401, 201, 201, 201, 401, 401] },
    'GET /api/v1/teams': { accepts: 'user', statuses: [401, 200, 200, 200, 401, 401] },
    'GET /api/v1/teams/:id': { accepts: 'user', statuses: [401, 200, 404, 200, 401, 401] },
    'POST /api/v1/teams/:id/members': { accepts: 'user', statuses: [401, 201, 404, 201, 401, 401] },
    'DELETE /api/v1/teams/:id/members/:user_id': { accepts: 'user', statuses: [401, 204, 404, 204, 401, 401] },
    'GET /api/v1/agents': { accepts: 'user', statuses: [401, 200, 200, 200, 401, 401] },
    'POST /api/v1/agents': { accepts: 'admin', statuses: [401, 403, 403, 201, 401, 401] },
    'GET /api/v1/agents/:id': { accepts: 'user', statuses: [401, 200, 404, 200, 401, 401] },
    'POST /api/v1/agents/:id/deactivate': { accepts: 'user', statuses: [401, 200, 404, 200, 401, 401] },
    'POST /api/v1/agents/replace': { accepts: 'user', statuses: [401, 200, 404, 404, 401, 401] },
    'POST /api/v1/agents/:id/tokens': { accepts: 'user', statuses: [401, 201, 404, 201, 401, 401] },
    'GET /api/v1/agents/:id/tokens': { accepts: 'user', statuses: [401, 200, 404, 200, 401, 401] },
    'POST /api/v1/agents/:id/regenerate-token': { accepts: 'user', statuses: [401, 201, 404, 201, 401, 401] },
    'GET /api/v1/agents/:id/logs': { accepts: 'user', statuses: [401, 200, 404, 200, 401, 401] },
    'DELETE /api/v1/tokens/:prefix': { accepts: 'user', statuses: [401, 204, 404, 204, 401, 401] },
    'POST /api/v1/sessions': { accepts: 'api-token', statuses: [401, 401, 401, 401, 401, 200] },
    'POST /oauth/device_authorization': { accepts: 'anon', statuses: [200, 200, 200, 200, 200, 200] },
    'POST /oauth/token': { accepts: 'anon', statuses: [200, 200, 200, 200, 200, 200] },
    'POST /oauth/revoke': { accepts: 'anon', statuses: [200, 200, 200, 200, 200, 200] },
    'POST /api/v1/agents/register': { accepts: 'anon', statuses: [200, 200, 200, 200, 200, 200] },
    'GET /api/v1/agents/status': { accepts: 'anon', statuses: [200, 200, 200, 200, 200, 200] },
    'POST /api/v1/agent-link/approve': { accepts: 'user', statuses: [401, 200, 200, 200, 401, 401] },
    'POST /api/v1/agent-link/deny': { accepts: 'user', statuses: [401, 200, 200, 200, 401, 401] },
    'GET /link': { accepts: 'anon', statuses: [303, 200, 200, 200, 303, 303] },
    'POST /link': { accepts: 'user', statuses: [401, 200, 200, 200, 401, 401] },
    'POST /link/approve': { accepts: 'user', statuses: [401, 200, 200, 200, 401, 401] },
    'POST /link/deny': { accepts: 'user', statuses: [401, 200, 200, 200, 401, 401] },
    'POST /api/v1/metrics': { accepts: 'agent', statuses: [401, 401, 401, 401, 200, 401] },
    'POST /metrics': { accepts: 'agent', statuses: [401, 401, 401, 401, 200, 401] },
    'GET /api/v1/metrics/:server_id': { accepts: 'user', statuses: [401, 200, 404, 200, 401, 401] },
    'GET /api/v1/agents/:id/metrics/series': { accepts: 'user', statuses: [401, 200, 404, 200, 401, 401] },
    'GET /api/v1/audit': { accepts: 'admin', statuses: [401, 403, 403, 200, 401, 401] },
    'POST /api/v1/rooms': { accepts: 'user, agent', statuses: [401, 201, 201, 201, 403, 401] },
    'GET /api/v1/rooms': { accepts: 'user, agent', statuses: [401, 200, 200, 200, 200, 401] },
    'GET /api/v1/rooms/:id': { accepts: 'user, agent', statuses: [401, 200, 404, 200, 200, 401] },
    'POST /api/v1/rooms/:id/archive': { accepts: 'user, agent', statuses: [401, 200, 404, 200, 403, 401] },
    'POST /api/v1/rooms/:id/members': { accepts: 'user, agent', statuses: [401, 201, 404, 201, 403, 401] },
    'DELETE /api/v1/rooms/:id/members/:agent_id': { accepts: 'user, agent', statuses: [401, 204, 404, 204, 403, 401] },
    'GET /api/v1/rooms/:id/messages': { accepts: 'user, agent', statuses: [401, 200, 404, 200, 200, 401] },
    'POST /api/v1/rooms/:id/messages': { accepts: 'user, agent', statuses: [401, 201, 404, 201, 201, 401] },
    'POST /mcp': { accepts: 'agent, api-token', statuses: [401, 401, 401, 401, 200, 200] },
    'GET /mcp': { accepts: 'agent, api-token', statuses: [401, 401, 401, 401, 405, 405] },
    'DELETE /mcp': { accepts: 'agent, api-token', statuses: [401, 401, 401, 401, 405, 405] },
  };

const KINDS = ['anon', 'user', 'other', 'admin', 'agent', 'apiToken'] as const;
type Kind = (typeof KINDS)[number];
const COOKIE_KINDS = new Set<Kind>(['user', 'other', 'admin']);
/** Routes served by ecosystem plugins (OpenAPI viewer, static files): public, no auth config. */
const PLUGIN_PREFIXES = ['/docs', '/static/'];
/** A Streamable HTTP MCP client accepts a JSON answer or an event stream. */
const MCP_ACCEPT = { accept: 'application/json, text/event-stream' };
/** Setup requests come from their own address so they do not eat the anonymous rate-limit bucket. */
const SETUP_IP = '192.0.2.200';

interface Probe {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  url: string;
  json?: object;
  /** Sent as an HTML form; cookie-authenticated kinds include the page's CSRF token. */
  form?: Record<string, string>;
  /** Sign the person in anew for this request (the request ends the session). */
  freshSession?: boolean;
  /** Extra request headers (MCP clients must accept both JSON and SSE). */
  headers?: Record<string, string>;
}

describe('the endpoint auth matrix', () => {
  let t: TestApp;
  let admin: Person;
  let user: Person;
  let other: Person;
  let agent: AgentWithToken;
  let jwt: string;
  let teamId: string;
  /** A room of `user` whose member is the fixture agent. */
  let roomId: string;

  const setup = (method: 'GET' | 'POST', url: string, payload?: object, who?: Person) =>
    t.app.inject({
      method,
      url,
      remoteAddress: SETUP_IP,
      ...(who ? { headers: who.headers } : {}),
      ...(payload ? { payload } : {}),
    });
  const suffix = () => randomBytes(4).toString('hex');

  async function pendingDevice(): Promise<{ device_code: string; user_code: string }> {
    const res = await setup('POST', '/api/v1/agents/register', {
      device_name: 'Matrix box',
      device_info: { server_id: `srv-${suffix()}` },
    });
    expect(res.statusCode).toBe(200);
    return res.json();
  }

  async function approvedOAuthDevice(): Promise<string> {
    const body = formBody({ client_id: 'matrix', server_id: `srv-${suffix()}` });
    const res = await t.app.inject({
      method: 'POST',
      url: '/oauth/device_authorization',
      remoteAddress: SETUP_IP,
      headers: body.headers,
      payload: body.payload,
    });
    const { device_code, user_code } = res.json<{ device_code: string; user_code: string }>();
    const approve = await setup('POST', '/api/v1/agent-link/approve', { user_code }, admin);
    expect(approve.statusCode).toBe(200);
    return device_code;
  }

  /** A room of `user` with the fixture agent as a member, that a probe may archive. */
  async function disposableRoom(): Promise<string> {
    const res = await setup('POST', '/api/v1/rooms', { slug: `room-${suffix()}`, name: 'Disposable' }, user);
    expect(res.statusCode).toBe(201);
    const id = res.json<{ room: { id: string } }>().room.id;
    const add = await setup('POST', `/api/v1/rooms/${id}/members`, { agent_id: agent.agent.id }, user);
    expect(add.statusCode).toBe(201);
    return id;
  }

  /** An agent of `user` that a probe may deactivate, replace or regenerate. */
  async function disposableAgent(): Promise<{ id: string; serverId: string }> {
    const serverId = `srv-${suffix()}`;
    const res = await setup(
      'POST',
      '/api/v1/agents',
      { name: `disposable-${suffix()}`, server_id: serverId, owner_id: user.id },
      admin,
    );
    expect(res.statusCode).toBe(201);
    return { id: res.json<{ agent: { id: string } }>().agent.id, serverId };
  }

  const PROBES: Record<string, () => Probe | Promise<Probe>> = {
    'GET /healthz': () => ({ method: 'GET', url: '/healthz' }),
    'GET /readyz': () => ({ method: 'GET', url: '/readyz' }),
    'GET /metrics': () => ({ method: 'GET', url: '/metrics' }),
    'GET /openapi.json': () => ({ method: 'GET', url: '/openapi.json' }),
    'GET /': () => ({ method: 'GET', url: '/' }),
    'GET /dashboard': () => ({ method: 'GET', url: '/dashboard' }),
    'GET /events': () => ({ method: 'GET', url: '/events?once=1' }),
    'GET /agents/:id': () => ({ method: 'GET', url: `/agents/${agent.agent.id}` }),
    'POST /agents/:id/tokens': () => ({ method: 'POST', url: `/agents/${agent.agent.id}/tokens`, form: {} }),
    'POST /agents/:id/regenerate': async () => ({
      method: 'POST',
      url: `/agents/${(await disposableAgent()).id}/regenerate`,
      form: {},
    }),
    'POST /agents/:id/tokens/:prefix/revoke': async () => ({
      method: 'POST',
      url: `/agents/${agent.agent.id}/tokens/${(await issueToken(t, admin, agent.agent.id)).prefix}/revoke`,
      form: {},
    }),
    'POST /agents/:id/deactivate': async () => ({
      method: 'POST',
      url: `/agents/${(await disposableAgent()).id}/deactivate`,
      form: {},
    }),
    'GET /rooms': () => ({ method: 'GET', url: '/rooms' }),
    'GET /rooms/:id': () => ({ method: 'GET', url: `/rooms/${roomId}` }),
    'GET /rooms/:id/stream': () => ({ method: 'GET', url: `/rooms/${roomId}/stream?once=1` }),
    'POST /rooms/:id/messages': () => ({ method: 'POST', url: `/rooms/${roomId}/messages`, form: { body: 'hello' } }),
    'GET /teams': () => ({ method: 'GET', url: '/teams' }),
    'POST /teams': () => ({ method: 'POST', url: '/teams', form: { name: 'Form team' } }),
    'GET /teams/:id': () => ({ method: 'GET', url: `/teams/${teamId}` }),
    'POST /teams/:id/members': async () => {
      const person = await addUser(t, admin, { password: null });
      return { method: 'POST', url: `/teams/${teamId}/members`, form: { email: person.email, role: 'viewer' } };
    },
    'POST /teams/:id/members/:user_id/remove': async () => {
      const person = await addUser(t, admin, { password: null });
      const add = await setup('POST', `/api/v1/teams/${teamId}/members`, { email: person.email, role: 'viewer' }, user);
      expect(add.statusCode).toBe(201);
      return { method: 'POST', url: `/teams/${teamId}/members/${person.id}/remove`, form: {} };
    },
    'GET /admin': () => ({ method: 'GET', url: '/admin' }),
    'GET /admin/teams': () => ({ method: 'GET', url: '/admin/teams' }),
    'GET /admin/audit': () => ({ method: 'GET', url: '/admin/audit?type=user.created&subject_type=' }),
    'POST /admin/users': () => ({
      method: 'POST',
      url: '/admin/users',
      form: { email: uniqueEmail(), name: 'Formed', role: 'user', plan: 'free' },
    }),
    'POST /admin/users/:id': async () => {
      const person = await addUser(t, admin, { password: null });
      return {
        method: 'POST',
        url: `/admin/users/${person.id}`,
        form: { role: 'user', plan: 'pro', disabled: 'false' },
      };
    },
    'GET /login': () => ({ method: 'GET', url: '/login' }),
    'POST /login': async () => {
      const person = await addUser(t, admin);
      return { method: 'POST', url: '/login', json: { email: person.email, password: PASSWORD } };
    },
    'POST /logout': () => ({ method: 'POST', url: '/logout', freshSession: true }),
    'GET /auth/token/:token': async () => {
      const person = await addUser(t, admin, { password: null });
      return { method: 'GET', url: await loginLinkPath(t, admin, person.email) };
    },
    'POST /auth/token/:token': async () => {
      const person = await addUser(t, admin, { password: null });
      return { method: 'POST', url: await loginLinkPath(t, admin, person.email) };
    },
    'GET /api/v1/me': () => ({ method: 'GET', url: '/api/v1/me' }),
    'POST /api/v1/users': () => ({ method: 'POST', url: '/api/v1/users', json: { email: uniqueEmail(), name: 'New' } }),
    'GET /api/v1/users': () => ({ method: 'GET', url: '/api/v1/users' }),
    'PATCH /api/v1/users/:id': async () => {
      const person = await addUser(t, admin, { password: null });
      return { method: 'PATCH', url: `/api/v1/users/${person.id}`, json: { name: 'Renamed' } };
    },
    'POST /api/v1/login-links': () => ({ method: 'POST', url: '/api/v1/login-links', json: { email: user.email } }),
    'POST /api/v1/teams': () => ({ method: 'POST', url: '/api/v1/teams', json: { name: 'Matrix team' } }),
    'GET /api/v1/teams': () => ({ method: 'GET', url: '/api/v1/teams' }),
    'GET /api/v1/teams/:id': () => ({ method: 'GET', url: `/api/v1/teams/${teamId}` }),
    'POST /api/v1/teams/:id/members': async () => {
      const person = await addUser(t, admin, { password: null });
      return { method: 'POST', url: `/api/v1/teams/${teamId}/members`, json: { email: person.email, role: 'viewer' } };
    },
    'DELETE /api/v1/teams/:id/members/:user_id': async () => {
      const person = await addUser(t, admin, { password: null });
      const add = await setup('POST', `/api/v1/teams/${teamId}/members`, { email: person.email, role: 'viewer' }, user);
      expect(add.statusCode).toBe(201);
      return { method: 'DELETE', url: `/api/v1/teams/${teamId}/members/${person.id}` };
    },
    'GET /api/v1/agents': () => ({ method: 'GET', url: '/api/v1/agents' }),
    'POST /api/v1/agents': () => ({ method: 'POST', url: '/api/v1/agents', json: { name: `made-${suffix()}` } }),
    'GET /api/v1/agents/:id': () => ({ method: 'GET', url: `/api/v1/agents/${agent.agent.id}` }),
    'POST /api/v1/agents/:id/deactivate': async () => ({
      method: 'POST',
      url: `/api/v1/agents/${(await disposableAgent()).id}/deactivate`,
    }),
    'POST /api/v1/agents/replace': async () => ({
      method: 'POST',
      url: '/api/v1/agents/replace',
      json: { server_id: (await disposableAgent()).serverId },
    }),
    'POST /api/v1/agents/:id/tokens': () => ({
      method: 'POST',
      url: `/api/v1/agents/${agent.agent.id}/tokens`,
      json: {},
    }),
    'GET /api/v1/agents/:id/tokens': () => ({ method: 'GET', url: `/api/v1/agents/${agent.agent.id}/tokens` }),
    'POST /api/v1/agents/:id/regenerate-token': async () => ({
      method: 'POST',
      url: `/api/v1/agents/${(await disposableAgent()).id}/regenerate-token`,
    }),
    'GET /api/v1/agents/:id/logs': () => ({ method: 'GET', url: `/api/v1/agents/${agent.agent.id}/logs` }),
    'DELETE /api/v1/tokens/:prefix': async () => ({
      method: 'DELETE',
      url: `/api/v1/tokens/${(await issueToken(t, admin, agent.agent.id)).prefix}`,
    }),
    'POST /api/v1/sessions': () => ({ method: 'POST', url: '/api/v1/sessions' }),
    'POST /oauth/device_authorization': () => ({
      method: 'POST',
      url: '/oauth/device_authorization',
      form: { client_id: 'matrix' },
    }),
    'POST /oauth/token': async () => ({
      method: 'POST',
      url: '/oauth/token',
      form: {
        grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
        device_code: await approvedOAuthDevice(),
        client_id: 'matrix',
      },
    }),
    'POST /oauth/revoke': () => ({ method: 'POST', url: '/oauth/revoke', form: { token: 'agr_not_a_real_token' } }),
    'POST /api/v1/agents/register': () => ({
      method: 'POST',
      url: '/api/v1/agents/register',
      json: { device_name: 'Matrix box', device_info: { server_id: `srv-${suffix()}` } },
    }),
    'GET /api/v1/agents/status': async () => ({
      method: 'GET',
      url: `/api/v1/agents/status?device_code=${(await pendingDevice()).device_code}`,
    }),
    'POST /api/v1/agent-link/approve': async () => ({
      method: 'POST',
      url: '/api/v1/agent-link/approve',
      json: { user_code: (await pendingDevice()).user_code },
    }),
    'POST /api/v1/agent-link/deny': async () => ({
      method: 'POST',
      url: '/api/v1/agent-link/deny',
      json: { user_code: (await pendingDevice()).user_code },
    }),
    'GET /link': () => ({ method: 'GET', url: '/link' }),
    'POST /link': async () => ({
      method: 'POST',
      url: '/link',
      form: { user_code: (await pendingDevice()).user_code },
    }),
    'POST /link/approve': async () => ({
      method: 'POST',
      url: '/link/approve',
      form: { user_code: (await pendingDevice()).user_code },
    }),
    'POST /link/deny': async () => ({
      method: 'POST',
      url: '/link/deny',
      form: { user_code: (await pendingDevice()).user_code },
    }),
    'POST /api/v1/metrics': () => ({ method: 'POST', url: '/api/v1/metrics', json: metricsSample() }),
    'POST /metrics': () => ({ method: 'POST', url: '/metrics', json: metricsSample() }),
    'GET /api/v1/metrics/:server_id': () => ({ method: 'GET', url: '/api/v1/metrics/srv-matrix' }),
    'GET /api/v1/agents/:id/metrics/series': () => ({
      method: 'GET',
      url: `/api/v1/agents/${agent.agent.id}/metrics/series?path=cpu.usage`,
    }),
    'GET /api/v1/audit': () => ({ method: 'GET', url: '/api/v1/audit' }),
    'POST /api/v1/rooms': () => ({
      method: 'POST',
      url: '/api/v1/rooms',
      json: { slug: `room-${suffix()}`, name: 'Room' },
    }),
    'GET /api/v1/rooms': () => ({ method: 'GET', url: '/api/v1/rooms' }),
    'GET /api/v1/rooms/:id': () => ({ method: 'GET', url: `/api/v1/rooms/${roomId}` }),
    'POST /api/v1/rooms/:id/archive': async () => ({
      method: 'POST',
      url: `/api/v1/rooms/${await disposableRoom()}/archive`,
    }),
    'POST /api/v1/rooms/:id/members': async () => ({
      method: 'POST',
      url: `/api/v1/rooms/${roomId}/members`,
      json: { agent_id: (await disposableAgent()).id },
    }),
    'DELETE /api/v1/rooms/:id/members/:agent_id': async () => {
      const { id } = await disposableAgent();
      const add = await setup('POST', `/api/v1/rooms/${roomId}/members`, { agent_id: id }, user);
      expect(add.statusCode).toBe(201);
      return { method: 'DELETE', url: `/api/v1/rooms/${roomId}/members/${id}` };
    },
    'GET /api/v1/rooms/:id/messages': () => ({ method: 'GET', url: `/api/v1/rooms/${roomId}/messages` }),
    'POST /api/v1/rooms/:id/messages': () => ({
      method: 'POST',
      url: `/api/v1/rooms/${roomId}/messages`,
      json: { body: 'hello from the matrix' },
    }),
    'POST /mcp': () => ({
      method: 'POST',
      url: '/mcp',
      headers: MCP_ACCEPT,
      json: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'list_rooms', arguments: {} } },
    }),
    'GET /mcp': () => ({ method: 'GET', url: '/mcp', headers: { accept: 'text/event-stream' } }),
    'DELETE /mcp': () => ({ method: 'DELETE', url: '/mcp', headers: MCP_ACCEPT }),
  };

  let sampleSecond = Math.floor(Date.now() / 1000) - 3600;
  function metricsSample() {
    sampleSecond += 1;
    return { server_id: 'srv-matrix', timestamp: sampleSecond, metrics: { cpu: { usage: 12.5 } } };
  }

  async function credentialsFor(kind: Kind, fresh: boolean): Promise<Record<string, string>> {
    const person = { user, other, admin }[kind as 'user' | 'other' | 'admin'] as Person | undefined;
    if (person) return fresh ? (await signIn(t, { email: person.email, password: PASSWORD })).headers : person.headers;
    if (kind === 'agent') return bearer(jwt);
    if (kind === 'apiToken') return bearer(agent.token);
    return {};
  }

  async function send(kind: Kind, probe: Probe) {
    const headers = { ...probe.headers, ...(await credentialsFor(kind, probe.freshSession === true)) };
    if (probe.form) {
      const fields = { ...probe.form };
      if (COOKIE_KINDS.has(kind)) {
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
      ...(probe.json ? { payload: probe.json } : {}),
    });
  }

  beforeAll(async () => {
    t = await createTestApp();
    admin = await signInAdmin(t);
    // Approvals create agents; keep plan limits out of the way of the matrix.
    const upgrade = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/users/${admin.id}`,
      headers: admin.headers,
      payload: { plan: 'enterprise' },
    });
    expect(upgrade.statusCode).toBe(200);
    user = await createUser(t, admin, { name: 'Owner', plan: 'enterprise' });
    other = await createUser(t, admin, { name: 'Other', plan: 'enterprise' });
    agent = await createAgentWithToken(t, admin, { owner: user, serverId: 'srv-matrix' });
    jwt = await exchange(t, agent.token);
    const team = await setup('POST', '/api/v1/teams', { name: 'Matrix' }, user);
    teamId = team.json<{ team: { id: string } }>().team.id;
    roomId = await disposableRoom();
  });
  afterAll(() => t.close());

  it('has an entry for every route of the app, with the auth kinds the route declares', () => {
    const declared = new Map<string, string>();
    for (const route of t.routes) {
      // HEAD mirrors GET; OPTIONS * is the CORS preflight (@fastify/cors), answered before any auth.
      if (route.method === 'HEAD' || route.method === 'OPTIONS') continue;
      if (!route.auth) {
        expect(
          PLUGIN_PREFIXES.some((p) => route.url.startsWith(p)),
          `${route.method} ${route.url} has no config.auth`,
        ).toBe(true);
        continue;
      }
      declared.set(`${route.method} ${route.url}`, route.auth.join(', '));
    }
    const missing = [...declared.keys()].filter((key) => !(key in MATRIX));
    expect(missing, 'routes without an auth-matrix entry (add them here and to docs/API.md)').toEqual([]);
    const stale = Object.keys(MATRIX).filter((key) => !declared.has(key));
    expect(stale, 'auth-matrix entries for routes that no longer exist').toEqual([]);
    for (const [key, row] of Object.entries(MATRIX)) expect(row.accepts, key).toBe(declared.get(key));
    expect(Object.keys(PROBES).sort()).toEqual(Object.keys(MATRIX).sort());
  });

  it.each(Object.keys(MATRIX))('answers %s with the documented status for every credential kind', async (key) => {
    const probe = PROBES[key];
    if (!probe) throw new Error(`no probe for ${key}`);
    const actual: Record<Kind, number> = { anon: 0, user: 0, other: 0, admin: 0, agent: 0, apiToken: 0 };
    for (const kind of KINDS) actual[kind] = (await send(kind, await probe())).statusCode;
    const expected = Object.fromEntries(KINDS.map((kind, i) => [kind, MATRIX[key]!.statuses[i]]));
    expect(actual).toEqual(expected);
  });

  it('serves the plugin routes (OpenAPI viewer, static files) to anyone', async () => {
    expect((await t.app.inject('/docs/json')).statusCode).toBe(200);
    expect((await t.app.inject('/static/app.css')).statusCode).toBe(200);
  });

  it('is written down, cell for cell, in docs/API.md', () => {
    const doc = readFileSync(join(packageRoot, 'docs', 'API.md'), 'utf8');
    const section = doc.split('## Endpoint auth matrix')[1]?.split('\n## ')[0];
    expect(section, 'docs/API.md has no "## Endpoint auth matrix" section').toBeDefined();
    const documented: Record<string, { accepts: string; statuses: number[] }> = {};
    for (const line of section!.split('\n')) {
      const cells = line.split('|').map((c) => c.trim().replace(/`/g, ''));
      // | METHOD | path | accepts | anon | user | other user | admin | agent JWT | API token |
      if (cells.length !== 11 || !/^(GET|POST|PATCH|PUT|DELETE)$/.test(cells[1] ?? '')) continue;
      documented[`${cells[1]!} ${cells[2]!}`] = { accepts: cells[3]!, statuses: cells.slice(4, 10).map(Number) };
    }
    const expected = Object.fromEntries(
      Object.entries(MATRIX).map(([key, row]) => [key, { accepts: row.accepts, statuses: [...row.statuses] }]),
    );
    expect(documented).toEqual(expected);
  });
});
