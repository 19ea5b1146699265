import { randomBytes } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { sessionCookieName } from '../../src/identity/http/session-cookie.js';
import type { TestApp } from './app.js';

/** A password every helper-made person uses unless told otherwise (argon2 needs >= 10 chars). */
export const PASSWORD = 'correct horse battery staple';

/** A signed-in person: their row fields, and the headers a same-origin browser request would send. */
export interface Person {
  id: string;
  email: string;
  name: string;
  role: 'admin' | 'user';
  password: string | undefined;
  /** The raw session cookie value (a secret: the logs test looks for it). */
  session: string;
  /** `cookie` plus the same-origin `origin` that cookie-authenticated state changes need. */
  headers: { cookie: string; origin: string };
}

export interface AgentWithToken {
  agent: { id: string; name: string; server_id: string | null; owner_id: string; team_id: string | null };
  token: string;
  prefix: string;
  credentialId: string;
}

let counter = 0;
/** An email no other helper call in this process has used. */
export function uniqueEmail(label = 'person'): string {
  counter += 1;
  return `${label}-${counter}-${randomBytes(3).toString('hex')}@example.com`;
}

export function origin(t: TestApp): string {
  return new URL(t.config.publicUrl).origin;
}

export function bearer(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` };
}

/** The value of a Set-Cookie the response carried, if any. */
export function cookieValue(response: LightMyRequestResponse, name: string): string | undefined {
  return response.cookies.find((c) => c.name === name)?.value;
}

/** The `id`s of the list under `key` in a JSON response (`{agents:[{id}]}` → ids). */
export function idsIn(response: LightMyRequestResponse, key: string): string[] {
  return response.json<Record<string, { id: string }[]>>()[key]?.map((item) => item.id) ?? [];
}

export function sessionCookieOf(t: TestApp, response: LightMyRequestResponse): string | undefined {
  return cookieValue(response, sessionCookieName(t.config));
}

export function csrfCookieName(t: TestApp): string {
  return t.config.secureCookies ? '__Host-agenthub_csrf' : 'agenthub_csrf';
}

/** An HTML form submission body (application/x-www-form-urlencoded), as a browser sends it. */
export function formBody(fields: Record<string, string>): {
  payload: string;
  headers: { 'content-type': string };
} {
  return {
    payload: new URLSearchParams(fields).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  };
}

/**
 * GETs a page with a form and returns what a browser would post back: the
 * hidden `_csrf` field and the cookie header carrying the CSRF seed.
 */
export async function openForm(
  t: TestApp,
  path: string,
  cookie = '',
): Promise<{ page: LightMyRequestResponse; csrf: string; cookie: string }> {
  const page = await t.app.inject({ url: path, headers: cookie ? { cookie } : {} });
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1];
  if (!csrf) throw new Error(`no CSRF field on ${path} (status ${page.statusCode})`);
  const seed = cookieValue(page, csrfCookieName(t));
  const jar = [cookie, seed ? `${csrfCookieName(t)}=${seed}` : ''].filter(Boolean).join('; ');
  return { page, csrf, cookie: jar };
}

function person(t: TestApp, user: Record<string, unknown>, session: string, password: string | undefined): Person {
  return {
    id: String(user['id']),
    email: String(user['email']),
    name: String(user['name']),
    role: user['role'] === 'admin' ? 'admin' : 'user',
    password,
    session,
    headers: { cookie: `${sessionCookieName(t.config)}=${session}`, origin: origin(t) },
  };
}

/** First run: uses the bootstrap link exactly as a browser would, creating and signing in the first admin. */
export async function signInAdmin(
  t: TestApp,
  input: { email?: string; name?: string; password?: string } = {},
): Promise<Person> {
  const link = await t.ctx.services.magicLinks.issueBootstrapLink();
  if (!link) throw new Error('signInAdmin needs a database without users');
  const path = new URL(link.url).pathname;
  const form = await openForm(t, path);
  const email = input.email ?? uniqueEmail('admin');
  const password = input.password ?? PASSWORD;
  const body = formBody({ _csrf: form.csrf, email, name: input.name ?? 'Ada Admin', password });
  const res = await t.app.inject({
    method: 'POST',
    url: path,
    headers: { origin: origin(t), cookie: form.cookie, ...body.headers },
    payload: body.payload,
  });
  const session = sessionCookieOf(t, res);
  if (res.statusCode !== 303 || !session) throw new Error(`bootstrap failed: ${res.statusCode} ${res.body}`);
  const me = await t.app.inject({
    url: '/api/v1/me',
    headers: { cookie: `${sessionCookieName(t.config)}=${session}` },
  });
  return person(t, me.json<{ user: Record<string, unknown> }>().user, session, password);
}

let addressCounter = 0;
/**
 * A documentation-range address (198.51.100.0/24, then 203.0.113.0/24) no
 * other helper sign-in used, so the per-IP sign-in limit never trips in tests
 * that are not about it.
 */
function nextAddress(): string {
  addressCounter += 1;
  return addressCounter < 255 ? `198.51.100.${addressCounter}` : `203.0.113.${addressCounter % 255}`;
}

/** POST /login with JSON, as a script would. Throws unless it succeeds. */
export async function signIn(
  t: TestApp,
  credentials: { email: string; password: string },
  options: { remoteAddress?: string } = {},
): Promise<Person> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/login',
    payload: credentials,
    remoteAddress: options.remoteAddress ?? nextAddress(),
  });
  const session = sessionCookieOf(t, res);
  if (res.statusCode !== 200 || !session) throw new Error(`sign-in failed: ${res.statusCode} ${res.body}`);
  return person(t, res.json<{ user: Record<string, unknown> }>().user, session, credentials.password);
}

export interface UserInput {
  email?: string;
  name?: string;
  /** null: the person has no password (magic links only). */
  password?: string | null;
  role?: 'admin' | 'user';
  plan?: 'free' | 'pro' | 'enterprise';
}

/** POST /api/v1/users as `admin`; returns the created user's public fields. */
export async function addUser(
  t: TestApp,
  admin: Person,
  input: UserInput = {},
): Promise<{ id: string; email: string; name: string; role: string; plan: string; disabled: boolean }> {
  const password = input.password === null ? undefined : (input.password ?? PASSWORD);
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/users',
    headers: admin.headers,
    payload: {
      email: input.email ?? uniqueEmail('user'),
      name: input.name ?? 'Uma User',
      ...(password ? { password } : {}),
      ...(input.role ? { role: input.role } : {}),
      ...(input.plan ? { plan: input.plan } : {}),
    },
  });
  if (res.statusCode !== 201) throw new Error(`user creation failed: ${res.statusCode} ${res.body}`);
  return res.json<{
    user: { id: string; email: string; name: string; role: string; plan: string; disabled: boolean };
  }>().user;
}

/** Creates a person with a password through the admin API, then signs them in with POST /login. */
export async function createUser(
  t: TestApp,
  admin: Person,
  input: Omit<UserInput, 'password'> & { password?: string } = {},
): Promise<Person> {
  const password = input.password ?? PASSWORD;
  const user = await addUser(t, admin, { ...input, password });
  return signIn(t, { email: user.email, password });
}

/**
 * An agent identity created by an admin (owned by `owner`, default the admin)
 * and an API token issued by `issuer` (default the admin).
 */
export async function createAgentWithToken(
  t: TestApp,
  admin: Person,
  options: {
    owner?: Person;
    issuer?: Person;
    name?: string;
    serverId?: string;
    teamId?: string;
    role?: 'admin' | 'agent';
    expiresAt?: Date;
    scopes?: string[];
  } = {},
): Promise<AgentWithToken> {
  const created = await t.app.inject({
    method: 'POST',
    url: '/api/v1/agents',
    headers: admin.headers,
    payload: {
      name: options.name ?? `agent-${randomBytes(4).toString('hex')}`,
      ...(options.serverId ? { server_id: options.serverId } : {}),
      ...(options.owner ? { owner_id: options.owner.id } : {}),
      ...(options.teamId ? { team_id: options.teamId } : {}),
      ...(options.role ? { role: options.role } : {}),
    },
  });
  if (created.statusCode !== 201) throw new Error(`agent creation failed: ${created.statusCode} ${created.body}`);
  const agent = created.json<{ agent: AgentWithToken['agent'] }>().agent;
  const issued = await issueToken(t, options.issuer ?? admin, agent.id, options);
  return { agent, ...issued };
}

/** POST /api/v1/agents/:id/tokens as `by`; throws unless 201. */
export async function issueToken(
  t: TestApp,
  by: Person,
  agentId: string,
  options: { expiresAt?: Date; scopes?: string[] } = {},
): Promise<{ token: string; prefix: string; credentialId: string }> {
  const res = await t.app.inject({
    method: 'POST',
    url: `/api/v1/agents/${agentId}/tokens`,
    headers: by.headers,
    payload: {
      ...(options.expiresAt ? { expires_at: options.expiresAt.toISOString() } : {}),
      ...(options.scopes ? { scopes: options.scopes } : {}),
    },
  });
  if (res.statusCode !== 201) throw new Error(`token issue failed: ${res.statusCode} ${res.body}`);
  const body = res.json<{ token: string; prefix: string; id: string }>();
  return { token: body.token, prefix: body.prefix, credentialId: body.id };
}

/** The status POST /api/v1/sessions answers the API token with (200 while it works, 401 once refused). */
export async function exchangeStatus(t: TestApp, apiToken: string): Promise<number> {
  return (await t.app.inject({ method: 'POST', url: '/api/v1/sessions', headers: bearer(apiToken) })).statusCode;
}

/** POST /api/v1/sessions with the API token; returns the access JWT. */
export async function exchange(t: TestApp, apiToken: string): Promise<string> {
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/sessions', headers: bearer(apiToken) });
  if (res.statusCode !== 200) throw new Error(`exchange failed: ${res.statusCode} ${res.body}`);
  return res.json<{ token: string }>().token;
}

/** Issues a magic link through the admin API and returns its URL path (/auth/token/...). */
export async function loginLinkPath(t: TestApp, admin: Person, email: string): Promise<string> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/login-links',
    headers: admin.headers,
    payload: { email },
  });
  if (res.statusCode !== 201) throw new Error(`login link failed: ${res.statusCode} ${res.body}`);
  return new URL(res.json<{ url: string }>().url).pathname;
}

/** Polls the audit log (some events are recorded in the background) until `match` finds one. */
export async function waitForAudit(
  t: TestApp,
  admin: Person,
  query: string,
  match: (event: AuditEvent) => boolean = () => true,
  timeoutMs = 2000,
): Promise<AuditEvent> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await t.app.inject({ url: `/api/v1/audit?${query}`, headers: admin.headers });
    const found = res.json<{ events: AuditEvent[] }>().events.find(match);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no audit event for ${query}: ${res.body}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface AuditEvent {
  id: string;
  type: string;
  actor_type: string;
  actor_id: string | null;
  subject_type: string | null;
  subject_id: string | null;
  ip: string | null;
  payload: Record<string, unknown>;
  created_at: string;
}
