import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../harness/app.js';
import {
  addUser,
  bearer,
  createAgentWithToken,
  formBody,
  loginLinkPath,
  openForm,
  sessionCookieOf,
  signIn,
  signInAdmin,
  type Person,
} from '../harness/identity.js';

const ADMIN_PASSWORD = 'admin password never logged';
const USER_PASSWORD = 'user password never logged';
const WRONG_PASSWORD = 'wrong password never logged';

describe('secrets in logs', () => {
  let t: TestApp;
  let admin: Person;
  /** Every secret the flows below handle; none may appear in any log line. */
  const secrets = new Map<string, string>();
  const keep = (label: string, value: string | undefined) => {
    if (!value) throw new Error(`no ${label} captured`);
    secrets.set(label, value);
    return value;
  };

  beforeAll(async () => {
    t = await createTestApp({ captureLogs: true });
    admin = await signInAdmin(t, { password: ADMIN_PASSWORD });
    keep('admin password', ADMIN_PASSWORD);
    keep('admin session', admin.session);
  });
  afterAll(() => t.close());

  it('never writes a password, session cookie, API token, JWT, magic-link token or device secret to the log', async () => {
    // Passwords: JSON and form sign-in, a failed attempt, a new user's initial password.
    const user = await addUser(t, admin, { password: USER_PASSWORD });
    keep('user password', USER_PASSWORD);
    const json = await signIn(t, { email: user.email, password: USER_PASSWORD });
    keep('JSON sign-in session', json.session);
    const form = await openForm(t, '/login');
    const body = formBody({ _csrf: form.csrf, email: user.email, password: USER_PASSWORD });
    const formLogin = await t.app.inject({
      method: 'POST',
      url: '/login',
      headers: { origin: 'http://localhost:3000', cookie: form.cookie, ...body.headers },
      payload: body.payload,
    });
    keep('form sign-in session', sessionCookieOf(t, formLogin));
    keep('CSRF token', form.csrf);
    await t.app.inject({ method: 'POST', url: '/login', payload: { email: user.email, password: WRONG_PASSWORD } });
    keep('wrong password', WRONG_PASSWORD);

    // Magic link: issue, view, use, reuse.
    const linkUser = await addUser(t, admin, { password: null });
    const path = await loginLinkPath(t, admin, linkUser.email);
    const linkToken = keep('magic-link token', path.split('/').pop());
    await t.app.inject(path);
    const used = await t.app.inject({ method: 'POST', url: path });
    keep('magic-link session', sessionCookieOf(t, used));
    await t.app.inject({ method: 'POST', url: path });
    expect(linkToken).toHaveLength(43);

    // API token, exchange, JWT use, a wrong secret, revocation.
    const issued = await createAgentWithToken(t, admin);
    keep('API token', issued.token);
    keep('API token secret', issued.token.slice(11));
    const exchange = await t.app.inject({ method: 'POST', url: '/api/v1/sessions', headers: bearer(issued.token) });
    const jwt = keep('access JWT', exchange.json<{ token: string }>().token);
    await t.app.inject({ url: '/api/v1/me', headers: bearer(jwt) });
    await t.app.inject({ url: '/api/v1/me?token=' + jwt });
    const wrongSecret = `${issued.prefix}_${'W'.repeat(43)}`;
    await t.app.inject({ method: 'POST', url: '/api/v1/sessions', headers: bearer(wrongSecret) });
    keep('wrong API secret', 'W'.repeat(43));

    // Device linking: the device code travels in a query string, tokens in the answer.
    const register = await t.app.inject({
      method: 'POST',
      url: '/api/v1/agents/register',
      payload: { device_name: 'Logged box', device_info: { server_id: 'srv-logs' } },
    });
    const device = register.json<{ device_code: string; user_code: string }>();
    keep('device code', device.device_code);
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/agent-link/approve',
      headers: admin.headers,
      payload: { user_code: device.user_code },
    });
    const status = await t.app.inject({ url: `/api/v1/agents/status?device_code=${device.device_code}` });
    const tokens = status.json<{ access_token?: string; refresh_token?: string; api_token?: string }>();
    keep('device access token', tokens.access_token);
    keep('refresh token', tokens.refresh_token);
    keep('device API token', tokens.api_token);

    await t.app.inject({ method: 'POST', url: '/logout', headers: json.headers });

    const log = t.logs.join('');
    // The capture works and saw these requests (so the assertions below are not vacuous).
    for (const url of ['/login', '/api/v1/sessions', '/api/v1/me', '/logout']) expect(log).toContain(`"url":"${url}"`);
    expect(log).toContain('"url":"/auth/token/[redacted]"');
    expect(log).toContain('/api/v1/agents/status?device_code=[redacted]');
    expect(log).toContain('/api/v1/me?token=[redacted]');
    for (const [label, secret] of secrets) expect(log.includes(secret), `${label} appears in the log`).toBe(false);
    expect(secrets.size).toBe(17);
  });
});
