import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginTokens } from '../../src/db/schema/index.js';
import { sha256 } from '../../src/lib/crypto.js';
import { createTestApp, type TestApp } from '../harness/app.js';
import { createTestDatabase } from '../harness/database.js';
import {
  addUser,
  createUser,
  formBody,
  loginLinkPath,
  openForm,
  sessionCookieOf,
  signInAdmin,
  uniqueEmail,
  type Person,
} from '../harness/identity.js';

const ORIGIN = 'http://localhost:3000';

function tokenOf(path: string): string {
  return path.slice('/auth/token/'.length);
}

describe('magic-link sign-in', () => {
  let t: TestApp;
  let admin: Person;
  beforeAll(async () => {
    t = await createTestApp();
    admin = await signInAdmin(t);
  });
  afterAll(() => t.close());

  it('lets an admin issue a 5-minute link under PUBLIC_URL for an existing person', async () => {
    const user = await addUser(t, admin, { password: null });
    const before = Date.now();
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/login-links',
      headers: admin.headers,
      payload: { email: user.email.toUpperCase() },
    });
    expect(res.statusCode).toBe(201);
    const body = res.json<{ url: string; expires_at: string }>();
    expect(body.url).toMatch(/^http:\/\/localhost:3000\/auth\/token\/[A-Za-z0-9_-]{43}$/);
    const ttl = new Date(body.expires_at).getTime() - before;
    expect(ttl).toBeGreaterThan(5 * 60_000 - 5000);
    expect(ttl).toBeLessThanOrEqual(5 * 60_000 + 1000);
  });

  it('answers 404 for a link to an unknown email and 403 when a non-admin asks', async () => {
    const unknown = await t.app.inject({
      method: 'POST',
      url: '/api/v1/login-links',
      headers: admin.headers,
      payload: { email: uniqueEmail('ghost') },
    });
    expect(unknown.statusCode).toBe(404);
    const user = await createUser(t, admin);
    const denied = await t.app.inject({
      method: 'POST',
      url: '/api/v1/login-links',
      headers: user.headers,
      payload: { email: user.email },
    });
    expect(denied.statusCode).toBe(403);
  });

  it('stores only a SHA-256 hash of the link token', async () => {
    const user = await addUser(t, admin, { password: null });
    const token = tokenOf(await loginLinkPath(t, admin, user.email));
    const rows = await t.database.db.select().from(loginTokens).where(eq(loginTokens.userId, user.id));
    expect(rows).toHaveLength(1);
    expect(rows[0]!.tokenHash).toBe(sha256(token));
    expect(rows[0]!.tokenHash).not.toContain(token);
  });

  it('shows a page with a sign-in button on GET, with no referrer, without signing in or using the link up', async () => {
    const user = await addUser(t, admin, { password: null });
    const path = await loginLinkPath(t, admin, user.email);
    for (let i = 0; i < 2; i++) {
      const page = await t.app.inject(path);
      expect(page.statusCode).toBe(200);
      expect(page.headers['referrer-policy']).toBe('no-referrer');
      expect(page.headers['cache-control']).toBe('no-store');
      expect(page.body).toContain(`<form method="post" action="${path}">`);
      expect(page.body).toMatch(/<button type="submit">Sign in<\/button>/);
      expect(sessionCookieOf(t, page)).toBeUndefined();
    }
    const [row] = await t.database.db.select().from(loginTokens).where(eq(loginTokens.userId, user.id));
    expect(row!.usedAt).toBeNull();
  });

  it('signs in with the page button (a form POST with CSRF), then refuses the same link a second time', async () => {
    const user = await addUser(t, admin, { password: null });
    const path = await loginLinkPath(t, admin, user.email);
    const form = await openForm(t, path);
    const body = formBody({ _csrf: form.csrf });
    const first = await t.app.inject({
      method: 'POST',
      url: path,
      headers: { origin: ORIGIN, cookie: form.cookie, ...body.headers },
      payload: body.payload,
    });
    expect(first.statusCode).toBe(303);
    expect(first.headers.location).toBe('/dashboard');
    expect(first.headers['referrer-policy']).toBe('no-referrer');
    const session = sessionCookieOf(t, first);
    expect(session).toBeDefined();
    const me = await t.app.inject({ url: '/api/v1/me', headers: { cookie: `agenthub_session=${session!}` } });
    expect(me.json().user.id).toBe(user.id);

    const second = await t.app.inject({
      method: 'POST',
      url: path,
      headers: { origin: ORIGIN, cookie: form.cookie, ...body.headers },
      payload: body.payload,
    });
    expect(second.statusCode).toBe(400);
    expect(second.headers['content-type']).toMatch(/^text\/html/);
    expect(second.body).toContain('This link cannot be used');
    expect(sessionCookieOf(t, second)).toBeUndefined();

    const page = await t.app.inject(path);
    expect(page.statusCode).toBe(400);
    expect(page.body).not.toContain('<button type="submit">Sign in</button>');
  });

  it('accepts a script POST without a body once, and answers 400 invalid_or_expired afterwards', async () => {
    const user = await addUser(t, admin, { password: null });
    const path = await loginLinkPath(t, admin, user.email);
    const first = await t.app.inject({ method: 'POST', url: path, headers: { origin: ORIGIN } });
    expect(first.statusCode).toBe(303);
    const second = await t.app.inject({ method: 'POST', url: path, headers: { origin: ORIGIN } });
    expect(second.statusCode).toBe(400);
    expect(second.json()).toMatchObject({ error: 'invalid_or_expired' });
  });

  it('lets only one of two simultaneous uses of a link win', async () => {
    const user = await addUser(t, admin, { password: null });
    const path = await loginLinkPath(t, admin, user.email);
    const results = await Promise.all(
      [0, 1, 2].map(() => t.app.inject({ method: 'POST', url: path, headers: { origin: ORIGIN } })),
    );
    expect(results.map((r) => r.statusCode).sort()).toEqual([303, 400, 400]);
  });

  it('refuses an expired link on GET and POST without signing in', async () => {
    const user = await addUser(t, admin, { password: null });
    const path = await loginLinkPath(t, admin, user.email);
    // Five minutes later: move the row's deadline into the past.
    await t.database.db
      .update(loginTokens)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(loginTokens.tokenHash, sha256(tokenOf(path))));
    const page = await t.app.inject(path);
    expect(page.statusCode).toBe(400);
    expect(page.body).toContain('This link cannot be used');
    const post = await t.app.inject({ method: 'POST', url: path, headers: { origin: ORIGIN } });
    expect(post.statusCode).toBe(400);
    expect(post.json().error).toBe('invalid_or_expired');
    expect(sessionCookieOf(t, post)).toBeUndefined();
  });

  it('refuses a made-up token and a link of a person who was disabled after it was issued', async () => {
    const madeUp = await t.app.inject({
      method: 'POST',
      url: '/auth/token/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      headers: { origin: ORIGIN },
    });
    expect(madeUp.statusCode).toBe(400);

    const user = await addUser(t, admin, { password: null });
    const path = await loginLinkPath(t, admin, user.email);
    const disable = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/users/${user.id}`,
      headers: admin.headers,
      payload: { disabled: true },
    });
    expect(disable.statusCode).toBe(200);
    const post = await t.app.inject({ method: 'POST', url: path, headers: { origin: ORIGIN } });
    expect(post.statusCode).toBe(400);
    expect(sessionCookieOf(t, post)).toBeUndefined();
  });

  it('refuses the form POST without its CSRF token and leaves the link usable', async () => {
    const user = await addUser(t, admin, { password: null });
    const path = await loginLinkPath(t, admin, user.email);
    const body = formBody({});
    const forged = await t.app.inject({
      method: 'POST',
      url: path,
      headers: { origin: ORIGIN, ...body.headers },
      payload: body.payload,
    });
    expect(forged.statusCode).toBe(403);
    expect(forged.json().error).toBe('csrf_failed');
    expect((await t.app.inject(path)).statusCode).toBe(200);
  });
});

describe('magic links across a restart', () => {
  it('keeps an unused link valid after the server restarts on the same database', async () => {
    const database = await createTestDatabase();
    try {
      const first = await createTestApp({ database });
      const admin = await signInAdmin(first);
      const user = await addUser(first, admin, { password: null });
      const path = await loginLinkPath(first, admin, user.email);
      await first.close();

      const second = await createTestApp({ database });
      try {
        const res = await second.app.inject({ method: 'POST', url: path, headers: { origin: ORIGIN } });
        expect(res.statusCode).toBe(303);
        expect(sessionCookieOf(second, res)).toBeDefined();
      } finally {
        await second.close();
      }
    } finally {
      await database.close();
    }
  });
});

describe('the first-run bootstrap link', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('creates the first admin once, and no bootstrap link exists after that', async () => {
    const link = await t.ctx.services.magicLinks.issueBootstrapLink();
    expect(link).toBeDefined();
    const path = new URL(link!.url).pathname;
    const form = await openForm(t, path);
    expect(form.page.body).toContain('Create the first administrator');
    const body = formBody({
      _csrf: form.csrf,
      email: 'Root@Example.com',
      name: 'Root',
      password: 'a long enough secret',
    });
    const setup = await t.app.inject({
      method: 'POST',
      url: path,
      headers: { origin: ORIGIN, cookie: form.cookie, ...body.headers },
      payload: body.payload,
    });
    expect(setup.statusCode).toBe(303);
    const session = sessionCookieOf(t, setup);
    const me = await t.app.inject({ url: '/api/v1/me', headers: { cookie: `agenthub_session=${session!}` } });
    expect(me.json().user).toMatchObject({ email: 'root@example.com', role: 'admin' });

    const replay = await t.app.inject({
      method: 'POST',
      url: path,
      headers: { origin: ORIGIN, cookie: form.cookie, ...body.headers },
      payload: formBody({ _csrf: form.csrf, email: 'second@example.com', name: 'Two', password: 'another secret!' })
        .payload,
    });
    expect(replay.statusCode).toBe(400);
    expect(await t.ctx.services.magicLinks.issueBootstrapLink()).toBeUndefined();
    const users = await t.ctx.services.users.list();
    expect(users.users.map((u) => u.email)).toEqual(['root@example.com']);
  });
});
