/**
 * The endpoint auth matrix: for every route, the auth kinds it declares
 * (config.auth) and the status a well-formed request gets from each caller.
 * docs/API.md carries the same table; auth-matrix.test.ts keeps the two identical.
 *
 * The owner owns a team; its room and its agents belong to that team. `viewer`,
 * `member` and `teamAdmin` are people with those roles in the team. `agent`
 * (role `agent`) is a member of the room; `sameTenantAgent` has the same owner
 * and team but is not a member; `foreignAgent` belongs to `other`;
 * `revokedAgent` calls with an access JWT whose API token was revoked since;
 * `apiToken` is `agent`'s `agt_` token.
 */
export const CALLERS = [
  'anon',
  'owner',
  'other',
  'admin',
  'viewer',
  'member',
  'teamAdmin',
  'agent',
  'sameTenantAgent',
  'foreignAgent',
  'revokedAgent',
  'apiToken',
] as const;
export type Caller = (typeof CALLERS)[number];

/** Each caller's column title in docs/API.md. */
export const COLUMN_TITLES: Record<Caller, string> = {
  anon: 'anon',
  owner: 'owner',
  other: 'other user',
  admin: 'admin',
  viewer: 'team viewer',
  member: 'team member',
  teamAdmin: 'team admin',
  agent: 'agent',
  sameTenantAgent: 'same-tenant agent',
  foreignAgent: 'other-tenant agent',
  revokedAgent: 'revoked agent',
  apiToken: 'API token',
};

/** The people, who call with a session cookie. */
export const PEOPLE = new Set<Caller>(['owner', 'other', 'admin', 'viewer', 'member', 'teamAdmin']);

/** `accepts | people (anon owner other admin) | team (viewer member admin) | agents (agent same foreign revoked) | API token`. */
export const MATRIX: Record<string, string> = {
  'GET /healthz': 'anon | 200 200 200 200 | 200 200 200 | 200 200 200 200 | 200',
  'GET /readyz': 'anon | 200 200 200 200 | 200 200 200 | 200 200 200 200 | 200',
  'GET /metrics': 'anon | 200 200 200 200 | 200 200 200 | 200 200 200 200 | 200',
  'GET /openapi.json': 'anon | 200 200 200 200 | 200 200 200 | 200 200 200 200 | 200',
  'GET /': 'anon | 303 303 303 303 | 303 303 303 | 303 303 303 303 | 303',
  'GET /dashboard': 'anon | 303 200 200 200 | 200 200 200 | 303 303 303 303 | 303',
  'GET /events': 'user | 401 200 200 200 | 200 200 200 | 401 401 401 401 | 401',
  'GET /agents/:id': 'anon | 303 200 404 200 | 200 200 200 | 303 303 303 303 | 303',
  'POST /agents/:id/tokens': 'user | 401 200 404 200 | 403 403 200 | 401 401 401 401 | 401',
  'POST /agents/:id/regenerate': 'user | 401 200 404 200 | 403 403 200 | 401 401 401 401 | 401',
  'POST /agents/:id/tokens/:prefix/revoke': 'user | 401 303 404 303 | 403 403 303 | 401 401 401 401 | 401',
  'POST /agents/:id/deactivate': 'user | 401 303 404 303 | 403 403 303 | 401 401 401 401 | 401',
  'GET /rooms': 'anon | 303 200 200 200 | 200 200 200 | 303 303 303 303 | 303',
  'GET /rooms/:id': 'anon | 303 200 404 200 | 200 200 200 | 303 303 303 303 | 303',
  'GET /rooms/:id/stream': 'user | 401 200 404 200 | 200 200 200 | 401 401 401 401 | 401',
  'POST /rooms/:id/messages': 'user | 401 303 404 303 | 403 303 303 | 401 401 401 401 | 401',
  'GET /inbox': 'anon | 303 200 200 200 | 200 200 200 | 303 303 303 303 | 303',
  'POST /inbox/ack': 'user | 401 303 303 303 | 303 303 303 | 401 401 401 401 | 401',
  'GET /search': 'anon | 303 200 200 200 | 200 200 200 | 303 303 303 303 | 303',
  'GET /teams': 'anon | 303 200 200 200 | 200 200 200 | 303 303 303 303 | 303',
  'POST /teams': 'user | 401 303 303 303 | 303 303 303 | 401 401 401 401 | 401',
  'GET /teams/:id': 'anon | 303 200 404 200 | 200 200 200 | 303 303 303 303 | 303',
  'POST /teams/:id/members': 'user | 401 303 404 303 | 403 403 303 | 401 401 401 401 | 401',
  'POST /teams/:id/members/:user_id/remove': 'user | 401 303 404 303 | 403 403 303 | 401 401 401 401 | 401',
  'GET /admin': 'anon | 303 404 404 200 | 404 404 404 | 303 303 303 303 | 303',
  'GET /admin/teams': 'anon | 303 404 404 200 | 404 404 404 | 303 303 303 303 | 303',
  'GET /admin/audit': 'anon | 303 404 404 200 | 404 404 404 | 303 303 303 303 | 303',
  'POST /admin/users': 'admin | 401 403 403 303 | 403 403 403 | 401 401 401 401 | 401',
  'POST /admin/users/:id': 'admin | 401 403 403 303 | 403 403 403 | 401 401 401 401 | 401',
  'GET /alerts': 'anon | 303 200 200 200 | 200 200 200 | 303 303 303 303 | 303',
  'POST /alerts/rules': 'user | 401 303 404 303 | 403 403 303 | 401 401 401 401 | 401',
  'GET /alerts/rules/:id': 'anon | 303 200 404 200 | 200 200 200 | 303 303 303 303 | 303',
  'POST /alerts/rules/:id': 'user | 401 303 404 303 | 403 403 303 | 401 401 401 401 | 401',
  'POST /alerts/rules/:id/delete': 'user | 401 303 404 303 | 403 403 303 | 401 401 401 401 | 401',
  'POST /alerts/channels': 'user | 401 303 404 303 | 403 303 303 | 401 401 401 401 | 401',
  'POST /alerts/channels/:id/test': 'user | 401 200 404 200 | 403 200 200 | 401 401 401 401 | 401',
  'POST /alerts/channels/:id/delete': 'user | 401 303 404 303 | 403 403 303 | 401 401 401 401 | 401',
  'POST /alerts/:id/acknowledge': 'user | 401 303 404 303 | 403 303 303 | 401 401 401 401 | 401',
  'GET /login': 'anon | 200 303 303 303 | 303 303 303 | 200 200 200 200 | 200',
  'POST /login': 'anon | 200 200 200 200 | 200 200 200 | 200 200 200 200 | 200',
  'POST /logout': 'user | 401 204 204 204 | 204 204 204 | 401 401 401 401 | 401',
  'GET /auth/token/:token': 'anon | 200 200 200 200 | 200 200 200 | 200 200 200 200 | 200',
  'POST /auth/token/:token': 'anon | 303 303 303 303 | 303 303 303 | 303 303 303 303 | 303',
  'GET /api/v1/me': 'user, agent | 401 200 200 200 | 200 200 200 | 200 200 200 401 | 401',
  'POST /api/v1/users': 'admin | 401 403 403 201 | 403 403 403 | 401 401 401 401 | 401',
  'GET /api/v1/users': 'admin | 401 403 403 200 | 403 403 403 | 401 401 401 401 | 401',
  'PATCH /api/v1/users/:id': 'admin | 401 403 403 200 | 403 403 403 | 401 401 401 401 | 401',
  'POST /api/v1/login-links': 'admin | 401 403 403 201 | 403 403 403 | 401 401 401 401 | 401',
  'POST /api/v1/teams': 'user | 401 201 201 201 | 201 201 201 | 401 401 401 401 | 401',
  'GET /api/v1/teams': 'user | 401 200 200 200 | 200 200 200 | 401 401 401 401 | 401',
  'GET /api/v1/teams/:id': 'user | 401 200 404 200 | 200 200 200 | 401 401 401 401 | 401',
  'POST /api/v1/teams/:id/members': 'user | 401 201 404 201 | 403 403 201 | 401 401 401 401 | 401',
  'DELETE /api/v1/teams/:id/members/:user_id': 'user | 401 204 404 204 | 403 403 204 | 401 401 401 401 | 401',
  'GET /api/v1/agents': 'user | 401 200 200 200 | 200 200 200 | 401 401 401 401 | 401',
  'POST /api/v1/agents': 'admin | 401 403 403 201 | 403 403 403 | 401 401 401 401 | 401',
  'GET /api/v1/agents/:id': 'user | 401 200 404 200 | 200 200 200 | 401 401 401 401 | 401',
  'POST /api/v1/agents/:id/deactivate': 'user | 401 200 404 200 | 403 403 200 | 401 401 401 401 | 401',
  'POST /api/v1/agents/replace': 'user | 401 200 404 404 | 404 404 404 | 401 401 401 401 | 401',
  'POST /api/v1/agents/:id/tokens': 'user | 401 201 404 201 | 403 403 201 | 401 401 401 401 | 401',
  'GET /api/v1/agents/:id/tokens': 'user | 401 200 404 200 | 403 403 200 | 401 401 401 401 | 401',
  'POST /api/v1/agents/:id/regenerate-token': 'user | 401 201 404 201 | 403 403 201 | 401 401 401 401 | 401',
  'GET /api/v1/agents/:id/logs': 'user | 401 200 404 200 | 200 200 200 | 401 401 401 401 | 401',
  'PUT /api/v1/agents/me/wake-hook': 'agent | 401 401 401 401 | 401 401 401 | 200 200 200 401 | 401',
  'GET /api/v1/agents/me/wake-hook': 'agent | 401 401 401 401 | 401 401 401 | 200 200 200 401 | 401',
  'DELETE /api/v1/agents/me/wake-hook': 'agent | 401 401 401 401 | 401 401 401 | 204 204 204 401 | 401',
  'PUT /api/v1/agents/:id/wake-hook': 'user | 401 200 404 200 | 403 403 200 | 401 401 401 401 | 401',
  'GET /api/v1/agents/:id/wake-hook': 'user | 401 200 404 200 | 403 403 200 | 401 401 401 401 | 401',
  'DELETE /api/v1/agents/:id/wake-hook': 'user | 401 204 404 204 | 403 403 204 | 401 401 401 401 | 401',
  'DELETE /api/v1/tokens/:prefix': 'user | 401 204 404 204 | 403 403 204 | 401 401 401 401 | 401',
  'POST /api/v1/sessions': 'api-token | 401 401 401 401 | 401 401 401 | 401 401 401 401 | 200',
  'POST /oauth/device_authorization': 'anon | 200 200 200 200 | 200 200 200 | 200 200 200 200 | 200',
  'POST /oauth/token': 'anon | 200 200 200 200 | 200 200 200 | 200 200 200 200 | 200',
  'POST /oauth/revoke': 'anon | 200 200 200 200 | 200 200 200 | 200 200 200 200 | 200',
  'POST /api/v1/agents/register': 'anon | 200 200 200 200 | 200 200 200 | 200 200 200 200 | 200',
  'GET /api/v1/agents/status': 'anon | 200 200 200 200 | 200 200 200 | 200 200 200 200 | 200',
  'POST /api/v1/agent-link/approve': 'user | 401 200 404 200 | 403 403 200 | 401 401 401 401 | 401',
  'POST /api/v1/agent-link/deny': 'user | 401 200 200 200 | 200 200 200 | 401 401 401 401 | 401',
  'GET /link': 'anon | 303 200 200 200 | 200 200 200 | 303 303 303 303 | 303',
  'POST /link': 'user | 401 200 200 200 | 200 200 200 | 401 401 401 401 | 401',
  'POST /link/approve': 'user | 401 200 404 200 | 403 403 200 | 401 401 401 401 | 401',
  'POST /link/deny': 'user | 401 200 200 200 | 200 200 200 | 401 401 401 401 | 401',
  'POST /api/v1/metrics': 'agent | 401 401 401 401 | 401 401 401 | 200 200 200 401 | 401',
  'POST /metrics': 'agent | 401 401 401 401 | 401 401 401 | 200 200 200 401 | 401',
  'POST /api/v2/write': 'agent, api-token | 401 401 401 401 | 401 401 401 | 204 204 204 401 | 204',
  'POST /v1/metrics': 'agent, api-token | 401 401 401 401 | 401 401 401 | 200 200 200 401 | 200',
  'POST /api/v1/prom/write': 'agent, api-token | 401 401 401 401 | 401 401 401 | 204 204 204 401 | 204',
  'GET /api/v1/metrics/:server_id': 'user | 401 200 404 200 | 200 200 200 | 401 401 401 401 | 401',
  'GET /api/v1/agents/:id/metrics/series': 'user | 401 200 404 200 | 200 200 200 | 401 401 401 401 | 401',
  'GET /api/v1/audit': 'admin | 401 403 403 200 | 403 403 403 | 401 401 401 401 | 401',
  'POST /api/v1/rooms': 'user, agent | 401 201 404 201 | 403 201 201 | 403 403 403 401 | 401',
  'GET /api/v1/rooms': 'user, agent | 401 200 200 200 | 200 200 200 | 200 200 200 401 | 401',
  'GET /api/v1/rooms/:id': 'user, agent | 401 200 404 200 | 200 200 200 | 200 404 404 401 | 401',
  'POST /api/v1/rooms/:id/archive': 'user, agent | 401 200 404 200 | 403 403 200 | 403 404 404 401 | 401',
  'POST /api/v1/rooms/:id/members': 'user, agent | 401 201 404 201 | 403 403 201 | 403 404 404 401 | 401',
  'DELETE /api/v1/rooms/:id/members/:agent_id': 'user, agent | 401 204 404 204 | 403 403 204 | 403 404 404 401 | 401',
  'GET /api/v1/rooms/:id/messages': 'user, agent | 401 200 404 200 | 200 200 200 | 200 404 404 401 | 401',
  'POST /api/v1/rooms/:id/messages': 'user, agent | 401 201 404 201 | 403 201 201 | 201 404 404 401 | 401',
  'POST /api/v1/direct/:agent_id/messages': 'user, agent | 401 201 404 404 | 404 201 201 | 400 201 404 401 | 401',
  'GET /api/v1/inbox': 'user, agent | 401 200 200 200 | 200 200 200 | 200 200 200 401 | 401',
  'POST /api/v1/inbox/ack': 'user, agent | 401 200 200 200 | 200 200 200 | 200 200 200 401 | 401',
  'GET /api/v1/search/messages': 'user, agent | 401 200 404 200 | 200 200 200 | 200 404 404 401 | 401',
  'POST /api/v1/rooms/:id/claims': 'user, agent | 401 201 404 201 | 403 201 201 | 201 404 404 401 | 401',
  'GET /api/v1/rooms/:id/claims': 'user, agent | 401 200 404 200 | 200 200 200 | 200 404 404 401 | 401',
  'PATCH /api/v1/rooms/:id/claims/:claim_id': 'user, agent | 401 403 404 403 | 403 403 403 | 200 404 404 401 | 401',
  'POST /api/v1/rooms/:id/claims/:claim_id/renew':
    'user, agent | 401 403 404 403 | 403 403 403 | 200 404 404 401 | 401',
  'DELETE /api/v1/rooms/:id/claims/:claim_id': 'user, agent | 401 204 404 204 | 403 403 204 | 204 404 404 401 | 401',
  'POST /api/v1/alert-rules': 'user | 401 201 404 201 | 403 403 201 | 401 401 401 401 | 401',
  'GET /api/v1/alert-rules': 'user | 401 200 200 200 | 200 200 200 | 401 401 401 401 | 401',
  'GET /api/v1/alert-rules/:id': 'user | 401 200 404 200 | 200 200 200 | 401 401 401 401 | 401',
  'PATCH /api/v1/alert-rules/:id': 'user | 401 200 404 200 | 403 403 200 | 401 401 401 401 | 401',
  'DELETE /api/v1/alert-rules/:id': 'user | 401 204 404 204 | 403 403 204 | 401 401 401 401 | 401',
  'POST /api/v1/silences': 'user | 401 201 404 201 | 403 403 201 | 401 401 401 401 | 401',
  'GET /api/v1/silences': 'user | 401 200 200 200 | 200 200 200 | 401 401 401 401 | 401',
  'DELETE /api/v1/silences/:id': 'user | 401 204 404 204 | 403 403 204 | 401 401 401 401 | 401',
  'POST /api/v1/notification-channels': 'user | 401 201 404 201 | 403 403 201 | 401 401 401 401 | 401',
  'GET /api/v1/notification-channels': 'user | 401 200 200 200 | 200 200 200 | 401 401 401 401 | 401',
  'DELETE /api/v1/notification-channels/:id': 'user | 401 204 404 204 | 403 403 204 | 401 401 401 401 | 401',
  'POST /api/v1/notification-channels/:id/test': 'user | 401 200 404 200 | 403 200 200 | 401 401 401 401 | 401',
  'GET /api/v1/alerts': 'user | 401 200 200 200 | 200 200 200 | 401 401 401 401 | 401',
  'POST /api/v1/alerts/:id/acknowledge': 'user | 401 200 404 200 | 403 200 200 | 401 401 401 401 | 401',
  'GET /api/v1/alert-events': 'user | 401 200 200 200 | 200 200 200 | 401 401 401 401 | 401',
  'POST /mcp': 'agent, api-token | 401 401 401 401 | 401 401 401 | 200 200 200 401 | 200',
  'GET /mcp': 'agent, api-token | 401 401 401 401 | 401 401 401 | 405 405 405 401 | 405',
  'DELETE /mcp': 'agent, api-token | 401 401 401 401 | 401 401 401 | 405 405 405 401 | 405',
};

export interface MatrixRow {
  accepts: string;
  statuses: Record<Caller, number>;
}

/** One row of MATRIX, its statuses keyed by caller. */
export function rowOf(key: string): MatrixRow {
  const line = MATRIX[key];
  if (line === undefined) throw new Error(`no auth-matrix row for ${key}`);
  const [accepts = '', ...groups] = line.split('|').map((cell) => cell.trim());
  const codes = groups.join(' ').split(/\s+/).map(Number);
  if (codes.length !== CALLERS.length || codes.some((c) => !Number.isInteger(c)))
    throw new Error(`the auth-matrix row for ${key} needs ${CALLERS.length} statuses`);
  return {
    accepts,
    statuses: Object.fromEntries(CALLERS.map((caller, i) => [caller, codes[i]])) as MatrixRow['statuses'],
  };
}
