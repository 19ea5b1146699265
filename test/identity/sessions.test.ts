import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userSessions } from '../../src/db/schema/index.js';
import { sha256 } from '../../src/lib/crypto.js';
import { createTestApp, type TestApp } from '../harness/app.js';
import {
  addUser,
  createUser,
  formBody,
  openForm,
  PASSWORD,
  sessionCookieOf,
  signIn,
  signInAdmin,
  uniqueEmail,
  type Person,
} from '../harness/identity.js';

const DAY_MS = 24 * 3600 * 1000;

describe('browser sessions', () => {
  let t: TestApp;
  let admin: Person;
  beforeAll(async () => {
    t = await createTestApp();
    admin = await signInAdmin(t);
  });
  afterAll(() => t.close());

  it('signs in with JSON and sets an HttpOnly, SameSite=Lax session cookie that lasts 24 hours', async () => {
    const user = await addUser(t, admin);
    const before = Date.now();
    const res = await t.app.inject({
      method: 'POST',
      url: '/login',
      payload: { email: user.email, password: PASSWORD },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ user: expect.objectContaining({ id: user.id, email: user.email, role: 'user' }) });
    const cookie = res.cookies.find((c) => c.name === 'agenthub_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    expect(cookie?.secure).toBeFalsy();
    const lifetime = (cookie?.expires?.getTime() ?? 0) - before;
    expect(lifetime).toBeGreaterThan(DAY_MS - 60_000);
    expect(lifetime).toBeLessThanOrEqual(DAY_MS + 1000);
  });

  it('signs in from the HTML form and redirects to a same-site next path only', async () => {
    const user = await addUser(t, admin);
    for (const [next, expected] of [
      ['/link?user_code=ABCD-EFGH', '/link?user_code=ABCD-EFGH'],
      ['//evil.example/steal', '/dashboard'],
      ['https://evil.example/', '/dashboard'],
      ['/\\evil.example', '/dashboard'],
    ] as const) {
      const form = await openForm(t, '/login');
      const body = formBody({ _csrf: form.csrf, email: user.email, password: PASSWORD, next });
      const res = await t.app.inject({
        method: 'POST',
        url: '/login',
        headers: { origin: 'http://localhost:3000', cookie: form.cookie, ...body.headers },
        payload: body.payload,
      });
      expect(res.statusCode, next).toBe(303);
      expect(res.headers.location).toBe(expected);
      expect(sessionCookieOf(t, res)).toBeDefined();
    }
  });

  it('shows the sign-in form again with an error and status 401 when a form sign-in fails', async () => {
    const form = await openForm(t, '/login');
    const body = formBody({ _csrf: form.csrf, email: 'nobody@example.com', password: 'wrong password' });
    const res = await t.app.inject({
      method: 'POST',
      url: '/login',
      headers: { origin: 'http://localhost:3000', cookie: form.cookie, ...body.headers },
      payload: body.payload,
    });
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toContain('Email or password is incorrect.');
    expect(sessionCookieOf(t, res)).toBeUndefined();
  });

  it('answers an unknown email, a wrong password and a password-less account with the same 401', async () => {
    const withPassword = await addUser(t, admin);
    const withoutPassword = await addUser(t, admin, { password: null });
    const attempts = [
      { email: uniqueEmail('ghost'), password: PASSWORD },
      { email: withPassword.email, password: 'not the password' },
      { email: withoutPassword.email, password: PASSWORD },
    ];
    const bodies = [];
    for (const attempt of attempts) {
      const res = await t.app.inject({ method: 'POST', url: '/login', payload: attempt });
      expect(res.statusCode).toBe(401);
      expect(sessionCookieOf(t, res)).toBeUndefined();
      const { request_id: _ignored, ...body } = res.json<Record<string, unknown>>();
      bodies.push(body);
    }
    expect(bodies[0]).toEqual({ error: 'invalid_credentials', message: 'Email or password is incorrect.' });
    expect(bodies[1]).toEqual(bodies[0]);
    expect(bodies[2]).toEqual(bodies[0]);
  });

  it('stores only a SHA-256 hash of the session cookie', async () => {
    const user = await createUser(t, admin);
    const rows = await t.database.db.select().from(userSessions).where(eq(userSessions.userId, user.id));
    expect(rows).toHaveLength(1);
    expect(rows[0]!.tokenHash).toBe(sha256(user.session));
    expect(rows[0]!.tokenHash).not.toContain(user.session);
  });

  it('issues a new session id at every sign-in', async () => {
    const user = await createUser(t, admin);
    const again = await signIn(t, { email: user.email, password: PASSWORD });
    expect(again.session).not.toBe(user.session);
    expect(again.session).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const rows = await t.database.db.select().from(userSessions).where(eq(userSessions.userId, user.id));
    expect(new Set(rows.map((r) => r.tokenHash)).size).toBe(2);
  });

  it('ends the session after 24 hours no matter how active it was (absolute expiry)', async () => {
    const user = await createUser(t, admin);
    expect((await t.app.inject({ url: '/api/v1/me', headers: user.headers })).statusCode).toBe(200);
    const [row] = await t.database.db
      .select()
      .from(userSessions)
      .where(eq(userSessions.tokenHash, sha256(user.session)));
    expect(row!.expiresAt.getTime() - row!.createdAt.getTime()).toBeGreaterThan(DAY_MS - 60_000);
    expect(row!.expiresAt.getTime() - row!.createdAt.getTime()).toBeLessThanOrEqual(DAY_MS + 1000);

    // Pretend a day has passed: the row's deadline is now in the past.
    await t.database.db
      .update(userSessions)
      .set({ expiresAt: new Date(Date.now() - 1000), lastSeenAt: new Date(Date.now() - 2000) })
      .where(eq(userSessions.id, row!.id));
    const me = await t.app.inject({ url: '/api/v1/me', headers: user.headers });
    expect(me.statusCode).toBe(401);
    const dashboard = await t.app.inject({ url: '/dashboard', headers: user.headers });
    expect(dashboard.statusCode).toBe(303);
    expect(dashboard.headers.location).toBe('/login?next=%2Fdashboard');
  });

  it('signs out with POST /logout: revokes the session and clears the cookie', async () => {
    const user = await createUser(t, admin);
    const res = await t.app.inject({ method: 'POST', url: '/logout', headers: user.headers });
    expect(res.statusCode).toBe(204);
    const cleared = res.cookies.find((c) => c.name === 'agenthub_session');
    expect(cleared?.value).toBe('');
    expect(cleared?.expires?.getTime()).toBeLessThanOrEqual(Date.now());
    const [row] = await t.database.db
      .select()
      .from(userSessions)
      .where(eq(userSessions.tokenHash, sha256(user.session)));
    expect(row!.revokedAt).not.toBeNull();
    // The old cookie value is useless even if someone kept a copy.
    expect((await t.app.inject({ url: '/api/v1/me', headers: user.headers })).statusCode).toBe(401);
  });

  it('signs out only the session that asked, leaving the same person signed in elsewhere', async () => {
    const laptop = await createUser(t, admin);
    const phone = await signIn(t, { email: laptop.email, password: PASSWORD });
    expect((await t.app.inject({ method: 'POST', url: '/logout', headers: laptop.headers })).statusCode).toBe(204);
    expect((await t.app.inject({ url: '/api/v1/me', headers: laptop.headers })).statusCode).toBe(401);
    expect((await t.app.inject({ url: '/api/v1/me', headers: phone.headers })).statusCode).toBe(200);
  });

  it('refuses POST /logout without a session', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/logout', headers: { origin: 'http://localhost:3000' } });
    expect(res.statusCode).toBe(401);
  });

  it('ends every session of a person an admin disables, and refuses their password afterwards', async () => {
    const user = await createUser(t, admin);
    const patch = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/users/${user.id}`,
      headers: admin.headers,
      payload: { disabled: true },
    });
    expect(patch.statusCode).toBe(200);
    expect(patch.json().user.disabled).toBe(true);
    expect((await t.app.inject({ url: '/api/v1/me', headers: user.headers })).statusCode).toBe(401);
    const again = await t.app.inject({
      method: 'POST',
      url: '/login',
      payload: { email: user.email, password: PASSWORD },
    });
    expect(again.statusCode).toBe(401);
    expect(again.json().error).toBe('invalid_credentials');
  });

  it('treats the email case-insensitively at sign-in', async () => {
    const user = await addUser(t, admin, { email: uniqueEmail('MixedCase') });
    const res = await t.app.inject({
      method: 'POST',
      url: '/login',
      payload: { email: user.email.toUpperCase(), password: PASSWORD },
    });
    expect(res.statusCode).toBe(200);
  });

  it('redirects a signed-in person away from the sign-in page', async () => {
    const res = await t.app.inject({ url: '/login?next=%2Flink', headers: { cookie: admin.headers.cookie } });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/link');
  });
});

describe('sign-in brute-force limits', () => {
  let t: TestApp;
  let admin: Person;
  beforeAll(async () => {
    t = await createTestApp();
    admin = await signInAdmin(t);
  });
  afterAll(() => t.close());

  it('locks one account after 5 failed passwords, even against the right password, without locking others', async () => {
    const victim = await addUser(t, admin);
    const bystander = await addUser(t, admin);
    // Spread over several IPs: the per-account limit must hold whatever the source.
    for (let i = 0; i < 5; i++) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/login',
        remoteAddress: `10.0.0.${i + 1}`,
        payload: { email: victim.email, password: `guess number ${i}` },
      });
      expect(res.statusCode).toBe(401);
    }
    const locked = await t.app.inject({
      method: 'POST',
      url: '/login',
      remoteAddress: '10.0.0.99',
      payload: { email: victim.email.toUpperCase(), password: PASSWORD },
    });
    expect(locked.statusCode).toBe(429);
    expect(locked.json().error).toBe('rate_limited');
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    expect(sessionCookieOf(t, locked)).toBeUndefined();

    const other = await t.app.inject({
      method: 'POST',
      url: '/login',
      remoteAddress: '10.0.0.99',
      payload: { email: bystander.email, password: PASSWORD },
    });
    expect(other.statusCode).toBe(200);
  });

  it('limits sign-in attempts per IP address across different accounts', async () => {
    const ip = '192.0.2.50';
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/login',
        remoteAddress: ip,
        payload: { email: uniqueEmail('spray'), password: 'password spraying' },
      });
      statuses.push(res.statusCode);
    }
    expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true);
    expect(statuses[20]).toBe(429);
    // Another address is not affected.
    const elsewhere = await t.app.inject({
      method: 'POST',
      url: '/login',
      remoteAddress: '192.0.2.51',
      payload: { email: admin.email, password: PASSWORD },
    });
    expect(elsewhere.statusCode).toBe(200);
  });
});

describe('session cookies when PUBLIC_URL is https', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ config: { publicUrl: 'https://hub.example', secureCookies: true } });
  });
  afterAll(() => t.close());

  it('uses the __Host- prefixed, Secure cookie and ignores a cookie without the prefix', async () => {
    const admin = await signInAdmin(t);
    expect(admin.headers.cookie.startsWith('__Host-agenthub_session=')).toBe(true);
    const res = await t.app.inject({
      method: 'POST',
      url: '/login',
      payload: { email: admin.email, password: PASSWORD },
    });
    const cookie = res.cookies.find((c) => c.name === '__Host-agenthub_session');
    expect(cookie).toMatchObject({ secure: true, httpOnly: true, sameSite: 'Lax', path: '/' });
    expect(cookie).not.toHaveProperty('domain');
    expect(res.cookies.find((c) => c.name === 'agenthub_session')).toBeUndefined();

    expect((await t.app.inject({ url: '/api/v1/me', headers: admin.headers })).statusCode).toBe(200);
    const unprefixed = await t.app.inject({
      url: '/api/v1/me',
      headers: { cookie: `agenthub_session=${admin.session}` },
    });
    expect(unprefixed.statusCode).toBe(401);
  });
});
