import { expect } from 'vitest';
import { addUser, issueToken, loginLinkPath, PASSWORD, uniqueEmail } from '../harness/identity.js';
import { gaugeSeries, otlpJsonBody, remoteWriteBody } from '../harness/stock-formats.js';
import { createAlertProbes } from './auth-matrix.alerts.js';
import { createClaimProbes } from './auth-matrix.claims.js';
import { createDisposables } from './auth-matrix.disposables.js';
import { createSearchProbes } from './auth-matrix.search.js';
import type { Caller } from './auth-matrix.table.js';
import { createWakeProbes } from './auth-matrix.wake.js';
import { suffix, type MatrixWorld, type ProbeFor } from './auth-matrix.world.js';

/** A Streamable HTTP MCP client accepts a JSON answer or an event stream. */
const MCP_ACCEPT = { accept: 'application/json, text/event-stream' };

/**
 * A well-formed request per route, made anew for every caller. Probes that
 * change state (deactivate, archive, regenerate, remove...) act on disposable
 * resources of the owner's team, so every cell starts from the same world.
 */
export function createProbes(world: MatrixWorld): Record<string, ProbeFor> {
  const { t, setup, setupAdmin, teamId, roomId } = world;
  const { owner } = world.people;
  const agentId = world.agents.agent.agent.id;

  const { pendingDevice, approvedOAuthDevice, disposableRoom, disposableAgent, disposableViewer, subject } =
    createDisposables(world);

  let sampleSecond = Math.floor(Date.now() / 1000) - 3600;
  /** A sample for the agent's own server_id (the owner's agent's for callers that are not agents). */
  function metricsSample(caller: Caller) {
    sampleSecond += 1;
    const { agents } = world;
    const reporter = caller in agents ? agents[caller as keyof typeof agents] : agents.agent;
    return {
      server_id: reporter.agent.server_id,
      timestamp: sampleSecond,
      metrics: { cpu: { usage: 12.5 } },
    };
  }

  return {
    'GET /healthz': () => ({ method: 'GET', url: '/healthz' }),
    'GET /readyz': () => ({ method: 'GET', url: '/readyz' }),
    'GET /metrics': () => ({ method: 'GET', url: '/metrics' }),
    'GET /openapi.json': () => ({ method: 'GET', url: '/openapi.json' }),
    'GET /': () => ({ method: 'GET', url: '/' }),
    'GET /dashboard': () => ({ method: 'GET', url: '/dashboard' }),
    'GET /events': () => ({ method: 'GET', url: '/events?once=1' }),
    'GET /agents/:id': () => ({ method: 'GET', url: `/agents/${agentId}` }),
    'POST /agents/:id/tokens': () => ({ method: 'POST', url: `/agents/${agentId}/tokens`, form: {} }),
    'POST /agents/:id/regenerate': async () => ({
      method: 'POST',
      url: `/agents/${(await disposableAgent()).id}/regenerate`,
      form: {},
    }),
    'POST /agents/:id/tokens/:prefix/revoke': async () => ({
      method: 'POST',
      url: `/agents/${agentId}/tokens/${(await issueToken(t, setupAdmin, agentId)).prefix}/revoke`,
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
    'GET /inbox': () => ({ method: 'GET', url: '/inbox' }),
    'POST /inbox/ack': () => ({
      method: 'POST',
      url: '/inbox/ack',
      form: { message_id: '00000000-0000-4000-8000-000000000000' },
    }),
    'GET /teams': () => ({ method: 'GET', url: '/teams' }),
    'POST /teams': () => ({ method: 'POST', url: '/teams', form: { name: 'Form team' } }),
    'GET /teams/:id': () => ({ method: 'GET', url: `/teams/${teamId}` }),
    'POST /teams/:id/members': async () => ({
      method: 'POST',
      url: `/teams/${teamId}/members`,
      form: { email: (await subject()).email, role: 'viewer' },
    }),
    'POST /teams/:id/members/:user_id/remove': async () => ({
      method: 'POST',
      url: `/teams/${teamId}/members/${await disposableViewer()}/remove`,
      form: {},
    }),
    'GET /admin': () => ({ method: 'GET', url: '/admin' }),
    'GET /admin/teams': () => ({ method: 'GET', url: '/admin/teams' }),
    'GET /admin/audit': () => ({ method: 'GET', url: '/admin/audit?type=user.created&subject_type=' }),
    'POST /admin/users': () => ({
      method: 'POST',
      url: '/admin/users',
      form: { email: uniqueEmail(), name: 'Formed', role: 'user', plan: 'free' },
    }),
    'POST /admin/users/:id': async () => ({
      method: 'POST',
      url: `/admin/users/${(await subject()).id}`,
      form: { role: 'user', plan: 'pro', disabled: 'false' },
    }),
    'GET /login': () => ({ method: 'GET', url: '/login' }),
    'POST /login': async () => {
      const person = await addUser(t, setupAdmin);
      return { method: 'POST', url: '/login', json: { email: person.email, password: PASSWORD } };
    },
    'POST /logout': () => ({ method: 'POST', url: '/logout', freshSession: true }),
    'GET /auth/token/:token': async () => ({
      method: 'GET',
      url: await loginLinkPath(t, setupAdmin, (await subject()).email),
    }),
    'POST /auth/token/:token': async () => ({
      method: 'POST',
      url: await loginLinkPath(t, setupAdmin, (await subject()).email),
    }),
    'GET /api/v1/me': () => ({ method: 'GET', url: '/api/v1/me' }),
    'POST /api/v1/users': () => ({ method: 'POST', url: '/api/v1/users', json: { email: uniqueEmail(), name: 'New' } }),
    'GET /api/v1/users': () => ({ method: 'GET', url: '/api/v1/users' }),
    'PATCH /api/v1/users/:id': async () => ({
      method: 'PATCH',
      url: `/api/v1/users/${(await subject()).id}`,
      json: { name: 'Renamed' },
    }),
    'POST /api/v1/login-links': () => ({ method: 'POST', url: '/api/v1/login-links', json: { email: owner.email } }),
    'POST /api/v1/teams': () => ({ method: 'POST', url: '/api/v1/teams', json: { name: 'Matrix team' } }),
    'GET /api/v1/teams': () => ({ method: 'GET', url: '/api/v1/teams' }),
    'GET /api/v1/teams/:id': () => ({ method: 'GET', url: `/api/v1/teams/${teamId}` }),
    'POST /api/v1/teams/:id/members': async () => ({
      method: 'POST',
      url: `/api/v1/teams/${teamId}/members`,
      json: { email: (await subject()).email, role: 'viewer' },
    }),
    'DELETE /api/v1/teams/:id/members/:user_id': async () => ({
      method: 'DELETE',
      url: `/api/v1/teams/${teamId}/members/${await disposableViewer()}`,
    }),
    'GET /api/v1/agents': () => ({ method: 'GET', url: '/api/v1/agents' }),
    'POST /api/v1/agents': () => ({ method: 'POST', url: '/api/v1/agents', json: { name: `made-${suffix()}` } }),
    'GET /api/v1/agents/:id': () => ({ method: 'GET', url: `/api/v1/agents/${agentId}` }),
    'POST /api/v1/agents/:id/deactivate': async () => ({
      method: 'POST',
      url: `/api/v1/agents/${(await disposableAgent()).id}/deactivate`,
    }),
    'POST /api/v1/agents/replace': async () => ({
      method: 'POST',
      url: '/api/v1/agents/replace',
      json: { server_id: (await disposableAgent()).serverId },
    }),
    'POST /api/v1/agents/:id/tokens': () => ({ method: 'POST', url: `/api/v1/agents/${agentId}/tokens`, json: {} }),
    'GET /api/v1/agents/:id/tokens': () => ({ method: 'GET', url: `/api/v1/agents/${agentId}/tokens` }),
    'POST /api/v1/agents/:id/regenerate-token': async () => ({
      method: 'POST',
      url: `/api/v1/agents/${(await disposableAgent()).id}/regenerate-token`,
    }),
    'GET /api/v1/agents/:id/logs': () => ({ method: 'GET', url: `/api/v1/agents/${agentId}/logs` }),
    'DELETE /api/v1/tokens/:prefix': async () => ({
      method: 'DELETE',
      url: `/api/v1/tokens/${(await issueToken(t, setupAdmin, agentId)).prefix}`,
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
      json: { user_code: (await pendingDevice()).user_code, team_id: teamId },
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
      form: { user_code: (await pendingDevice()).user_code, team_id: teamId },
    }),
    'POST /link/deny': async () => ({
      method: 'POST',
      url: '/link/deny',
      form: { user_code: (await pendingDevice()).user_code },
    }),
    'POST /api/v1/metrics': (caller) => ({ method: 'POST', url: '/api/v1/metrics', json: metricsSample(caller) }),
    'POST /metrics': (caller) => ({ method: 'POST', url: '/metrics', json: metricsSample(caller) }),
    'POST /api/v2/write': (caller) => {
      const { server_id, timestamp } = metricsSample(caller);
      return {
        method: 'POST',
        url: '/api/v2/write?org=matrix&bucket=matrix&precision=s',
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        body: `cpu,cpu=cpu-total,host=${server_id} usage_idle=87.5 ${timestamp}\n`,
      };
    },
    'POST /v1/metrics': (caller) => {
      const { server_id, timestamp } = metricsSample(caller);
      return {
        method: 'POST',
        url: '/v1/metrics',
        headers: { 'content-type': 'application/json' },
        body: otlpJsonBody(server_id ?? '', 'matrix.load', 5, timestamp * 1000),
      };
    },
    'POST /api/v1/prom/write': async (caller) => {
      const { server_id, timestamp } = metricsSample(caller);
      return {
        method: 'POST',
        url: '/api/v1/prom/write',
        headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy' },
        body: await remoteWriteBody([gaugeSeries('node_load1', `${server_id}:9100`, 0.5, timestamp * 1000)]),
      };
    },
    'GET /api/v1/metrics/:server_id': () => ({ method: 'GET', url: '/api/v1/metrics/srv-matrix' }),
    'GET /api/v1/agents/:id/metrics/series': () => ({
      method: 'GET',
      url: `/api/v1/agents/${agentId}/metrics/series?path=cpu.usage`,
    }),
    'GET /api/v1/audit': () => ({ method: 'GET', url: '/api/v1/audit' }),
    'POST /api/v1/rooms': () => ({
      method: 'POST',
      url: '/api/v1/rooms',
      json: { slug: `room-${suffix()}`, name: 'Room', team_id: teamId },
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
      const add = await setup('POST', `/api/v1/rooms/${roomId}/members`, { agent_id: id }, owner);
      expect(add.statusCode).toBe(201);
      return { method: 'DELETE', url: `/api/v1/rooms/${roomId}/members/${id}` };
    },
    'GET /api/v1/rooms/:id/messages': () => ({ method: 'GET', url: `/api/v1/rooms/${roomId}/messages` }),
    'POST /api/v1/rooms/:id/messages': () => ({
      method: 'POST',
      url: `/api/v1/rooms/${roomId}/messages`,
      json: { body: 'hello from the matrix' },
    }),
    // To `agent`: its owner and team mates who may use it, and agents of its tenant, write to it; itself: 400.
    'POST /api/v1/direct/:agent_id/messages': () => ({
      method: 'POST',
      url: `/api/v1/direct/${agentId}/messages`,
      json: { body: 'a direct word from the matrix' },
    }),
    'GET /api/v1/inbox': () => ({ method: 'GET', url: '/api/v1/inbox' }),
    'POST /api/v1/inbox/ack': () => ({
      method: 'POST',
      url: '/api/v1/inbox/ack',
      json: { message_ids: ['00000000-0000-4000-8000-000000000000'] },
    }),
    'POST /mcp': () => ({
      method: 'POST',
      url: '/mcp',
      headers: MCP_ACCEPT,
      json: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'list_rooms', arguments: {} } },
    }),
    'GET /mcp': () => ({ method: 'GET', url: '/mcp', headers: { accept: 'text/event-stream' } }),
    'DELETE /mcp': () => ({ method: 'DELETE', url: '/mcp', headers: MCP_ACCEPT }),
    ...createAlertProbes(world),
    ...createWakeProbes(world),
    ...createSearchProbes(world),
    ...createClaimProbes(world),
  };
}
