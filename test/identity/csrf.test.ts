import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../harness/app.js';
import {
  addUser,
  bearer,
  createAgentWithToken,
  createUser,
  csrfCookieName,
  formBody,
  loginLinkPath,
  openForm,
  PASSWORD,
  sessionCookieOf,
  signInAdmin,
  type Person,
} from '../harness/identity.js';

const SELF = 'http://localhost:3000';
const EVIL = 'https://evil.example';

describe('cross-origin refusals for cookie-authenticated state changes', () => {
  let t: TestApp;
  let admin: Person;
  let user: Person;
  /** A state-changing JSON request made with the person's cookie and the given extra headers. */
  const createTeam = (headers: Record<string, string>) =>
    t.app.inject({
      method: 'POST',
      url: '/api/v1/teams',
      headers: { cookie: user.headers.cookie, ...headers },
      payload: { name: 'Team' },
    });

  beforeAll(async () => {
    t = await createTestApp();
    admin = await signInAdmin(t);
    user = await createUser(t, admin);
  });
  afterAll(() => t.close());

  it('accepts a state change whose Origin is our own', async () => {
    expect((await createTeam({ origin: SELF })).statusCode).toBe(201);
  });

  it('refuses a state change from another origin with 403 cross_origin', async () => {
    const res = await createTeam({ origin: EVIL });
    expect(res.statusCode).toBe(403);
    expect(res.json().error).toBe('cross_origin');
    expect((await createTeam({ origin: 'http://localhost:3000.evil.example' })).statusCode).toBe(403);
    expect((await createTeam({ origin: 'https://localhost:3000' })).statusCode).toBe(403);
  });

  it('refuses an opaque Origin (null), as sandboxed frames and some redirects send', async () => {
    expect((await createTeam({ origin: 'null' })).statusCode).toBe(403);
  });

  it('falls back to the Referer when there is no Origin', async () => {
    expect((await createTeam({ referer: `${SELF}/dashboard` })).statusCode).toBe(201);
    expect((await createTeam({ referer: `${EVIL}/page` })).statusCode).toBe(403);
    expect((await createTeam({ referer: 'not a url' })).statusCode).toBe(403);
  });

  it('refuses a cookie-authenticated state change that carries neither Origin nor Referer', async () => {
    expect((await createTeam({})).statusCode).toBe(403);
  });

  it('refuses cross-origin state changes on every cookie-authenticated method (POST, PATCH, DELETE)', async () => {
    const other = await addUser(t, admin);
    const patch = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/users/${other.id}`,
      headers: { cookie: admin.headers.cookie, origin: EVIL },
      payload: { role: 'admin' },
    });
    expect(patch.statusCode).toBe(403);
    const { prefix } = await createAgentWithToken(t, admin);
    const del = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/tokens/${prefix}`,
      headers: { cookie: admin.headers.cookie, origin: EVIL },
    });
    expect(del.statusCode).toBe(403);
    const logout = await t.app.inject({
      method: 'POST',
      url: '/logout',
      headers: { cookie: user.headers.cookie, origin: EVIL },
    });
    expect(logout.statusCode).toBe(403);
    expect((await t.app.inject({ url: '/api/v1/me', headers: user.headers })).statusCode).toBe(200);
  });

  it('refuses a text/plain cross-site post (what a form with enctype=text/plain sends)', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/teams',
      headers: { cookie: user.headers.cookie, origin: EVIL, 'content-type': 'text/plain' },
      payload: '{"name":"pwned"}',
    });
    expect(res.statusCode).toBe(403);
  });

  it('lets cross-origin reads through (safe methods change nothing)', async () => {
    const res = await t.app.inject({ url: '/api/v1/me', headers: { cookie: user.headers.cookie, origin: EVIL } });
    expect(res.statusCode).toBe(200);
  });

  it('does not apply the cookie rule to bearer-authenticated agents', async () => {
    const { token } = await createAgentWithToken(t, admin);
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/sessions',
      headers: { ...bearer(token), origin: EVIL },
    });
    expect(res.statusCode).toBe(200);
  });
});

describe('CSRF tokens on HTML forms', () => {
  let t: TestApp;
  let admin: Person;

  const postForm = (url: string, fields: Record<string, string>, headers: Record<string, string>) => {
    const body = formBody(fields);
    return t.app.inject({ method: 'POST', url, headers: { ...headers, ...body.headers }, payload: body.payload });
  };

  beforeAll(async () => {
    t = await createTestApp();
    admin = await signInAdmin(t);
  });
  afterAll(() => t.close());

  it('embeds a CSRF field in the sign-in form and keeps its seed in an HttpOnly, SameSite=Lax cookie', async () => {
    const form = await openForm(t, '/login');
    expect(form.csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const seed = form.page.cookies.find((c) => c.name === csrfCookieName(t));
    expect(seed).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    expect(form.csrf).not.toBe(seed?.value);
  });

  it('refuses a sign-in form without the token, with a wrong token, or with a token from another browser', async () => {
    const user = await addUser(t, admin);
    const mine = await openForm(t, '/login');
    const theirs = await openForm(t, '/login');
    const fields = { email: user.email, password: PASSWORD };
    for (const [label, extra, cookie] of [
      ['missing', {}, mine.cookie],
      ['wrong', { _csrf: 'A'.repeat(43) }, mine.cookie],
      ['another browser', { _csrf: theirs.csrf }, mine.cookie],
      ['no seed cookie', { _csrf: mine.csrf }, ''],
    ] as const) {
      const res = await postForm('/login', { ...fields, ...extra }, { origin: SELF, cookie });
      expect(res.statusCode, label).toBe(403);
      expect(res.json().error, label).toBe('csrf_failed');
      expect(sessionCookieOf(t, res), label).toBeUndefined();
    }
    const ok = await postForm('/login', { ...fields, _csrf: mine.csrf }, { origin: SELF, cookie: mine.cookie });
    expect(ok.statusCode).toBe(303);
  });

  it('refuses a form post with a valid token when it comes from another origin', async () => {
    const user = await addUser(t, admin);
    const form = await openForm(t, '/login');
    const res = await postForm(
      '/login',
      { email: user.email, password: PASSWORD, _csrf: form.csrf },
      { origin: EVIL, cookie: form.cookie },
    );
    expect(res.statusCode).toBe(403);
    expect(res.json().error).toBe('cross_origin');
  });

  it('signs out from the header form only with its CSRF token', async () => {
    const user = await createUser(t, admin);
    const dashboard = await openForm(t, '/dashboard', user.headers.cookie);
    expect(dashboard.page.body).toContain('action="/logout"');
    const forged = await postForm('/logout', {}, { origin: SELF, cookie: dashboard.cookie });
    expect(forged.statusCode).toBe(403);
    expect((await t.app.inject({ url: '/api/v1/me', headers: user.headers })).statusCode).toBe(200);
    const real = await postForm('/logout', { _csrf: dashboard.csrf }, { origin: SELF, cookie: dashboard.cookie });
    expect(real.statusCode).toBe(303);
    expect(real.headers.location).toBe('/login');
    expect((await t.app.inject({ url: '/api/v1/me', headers: user.headers })).statusCode).toBe(401);
  });

  it('accepts the token in an X-CSRF-Token header for form posts made by scripts on our pages', async () => {
    const user = await addUser(t, admin);
    const form = await openForm(t, '/login');
    const res = await postForm(
      '/login',
      { email: user.email, password: PASSWORD },
      { origin: SELF, cookie: form.cookie, 'x-csrf-token': form.csrf },
    );
    expect(res.statusCode).toBe(303);
  });
});

describe('login CSRF: a cross-site page cannot sign a visitor in to an account of its choosing', () => {
  let t: TestApp;
  let admin: Person;
  beforeAll(async () => {
    t = await createTestApp();
    admin = await signInAdmin(t);
  });
  afterAll(() => t.close());

  it("refuses the attacker's magic link posted from another origin without a body (fetch no-cors)", async () => {
    const attacker = await addUser(t, admin, { password: null });
    const path = await loginLinkPath(t, admin, attacker.email);
    const res = await t.app.inject({ method: 'POST', url: path, headers: { origin: EVIL } });
    expect(res.statusCode).toBe(403);
    expect(sessionCookieOf(t, res)).toBeUndefined();
    // The refusal did not use the link up.
    expect((await t.app.inject({ method: 'POST', url: path, headers: { origin: SELF } })).statusCode).toBe(303);
  });

  it("refuses the attacker's magic link posted from another origin as text/plain", async () => {
    const attacker = await addUser(t, admin, { password: null });
    const path = await loginLinkPath(t, admin, attacker.email);
    const res = await t.app.inject({
      method: 'POST',
      url: path,
      headers: { origin: EVIL, 'content-type': 'text/plain' },
      payload: 'x=y',
    });
    expect(res.statusCode).toBe(403);
    expect(sessionCookieOf(t, res)).toBeUndefined();
  });

  it("refuses the attacker's password posted from another origin as text/plain JSON", async () => {
    const attacker = await addUser(t, admin);
    const res = await t.app.inject({
      method: 'POST',
      url: '/login',
      headers: { origin: EVIL, 'content-type': 'text/plain' },
      payload: JSON.stringify({ email: attacker.email, password: PASSWORD }),
    });
    expect(res.statusCode).toBe(403);
    expect(sessionCookieOf(t, res)).toBeUndefined();
  });

  // The link page is served with Referrer-Policy: no-referrer, so a browser posts its own form with
  // `Origin: null`. That is accepted only for a form that carries the page's CSRF token.
  it("accepts the link page's own form posted with Origin: null and its CSRF token", async () => {
    const user = await addUser(t, admin, { password: null });
    const path = await loginLinkPath(t, admin, user.email);
    const form = await openForm(t, path);
    const body = formBody({ _csrf: form.csrf });
    const res = await t.app.inject({
      method: 'POST',
      url: path,
      headers: { ...body.headers, cookie: form.cookie, origin: 'null' },
      payload: body.payload,
    });
    expect(res.statusCode).toBe(303);
    expect(sessionCookieOf(t, res)).toBeDefined();
  });

  it('refuses Origin: null on the link without a valid CSRF token, bodiless or text/plain, and keeps the link', async () => {
    const attacker = await addUser(t, admin, { password: null });
    const path = await loginLinkPath(t, admin, attacker.email);
    const forged = formBody({ _csrf: 'f'.repeat(64) });
    const attempts = [
      { headers: { origin: 'null' } },
      { headers: { origin: 'null', 'content-type': 'text/plain' }, payload: 'x=y' },
      { headers: { ...forged.headers, origin: 'null' }, payload: forged.payload },
    ];
    for (const attempt of attempts) {
      const res = await t.app.inject({ method: 'POST', url: path, ...attempt });
      expect(res.statusCode).toBe(403);
      expect(sessionCookieOf(t, res)).toBeUndefined();
    }
    expect((await t.app.inject({ method: 'POST', url: path, headers: { origin: SELF } })).statusCode).toBe(303);
  });

  it('refuses Origin: null form posts, even with a CSRF token, on routes whose pages keep their origin', async () => {
    const form = await openForm(t, '/login');
    const body = formBody({ _csrf: form.csrf, email: admin.email, password: PASSWORD });
    const res = await t.app.inject({
      method: 'POST',
      url: '/login',
      headers: { ...body.headers, cookie: form.cookie, origin: 'null' },
      payload: body.payload,
    });
    expect(res.statusCode).toBe(403);
  });

  it('still lets scripts without an Origin header use JSON sign-in and magic links', async () => {
    const user = await addUser(t, admin, { password: null });
    const path = await loginLinkPath(t, admin, user.email);
    expect((await t.app.inject({ method: 'POST', url: path })).statusCode).toBe(303);
    const withPassword = await addUser(t, admin);
    const res = await t.app.inject({
      method: 'POST',
      url: '/login',
      payload: { email: withPassword.email, password: PASSWORD },
    });
    expect(res.statusCode).toBe(200);
  });
});
