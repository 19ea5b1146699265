import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { testConfig } from '../../src/config.js';
import { users } from '../../src/db/schema/index.js';
import { createTestApp, type TestApp } from '../harness/app.js';
import { createTestDatabase } from '../harness/database.js';
import { addUser, createUser, PASSWORD, signInAdmin, uniqueEmail, type Person } from '../harness/identity.js';

describe('people administration', () => {
  let t: TestApp;
  let admin: Person;
  const createUserRequest = (payload: object, who: Person = admin) =>
    t.app.inject({ method: 'POST', url: '/api/v1/users', headers: who.headers, payload });
  const patch = (id: string, payload: object, who: Person = admin) =>
    t.app.inject({ method: 'PATCH', url: `/api/v1/users/${id}`, headers: who.headers, payload });

  beforeAll(async () => {
    t = await createTestApp();
    admin = await signInAdmin(t);
  });
  afterAll(() => t.close());

  it('creates a person with a lower-cased email, a role and a plan, storing the password as argon2id', async () => {
    const email = uniqueEmail('Grace');
    const res = await createUserRequest({ email, name: 'Grace', password: PASSWORD, role: 'admin', plan: 'pro' });
    expect(res.statusCode).toBe(201);
    const user = res.json().user;
    expect(user).toEqual({
      id: expect.any(String),
      email: email.toLowerCase(),
      name: 'Grace',
      role: 'admin',
      plan: 'pro',
      created_at: expect.any(String),
      disabled: false,
    });
    expect(res.body).not.toContain('password');
    const [row] = await t.database.db.select().from(users).where(eq(users.id, user.id));
    expect(row!.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });

  it('defaults to role user, plan free and no password', async () => {
    const res = await createUserRequest({ email: uniqueEmail(), name: 'Plain' });
    expect(res.json().user).toMatchObject({ role: 'user', plan: 'free' });
    const [row] = await t.database.db.select().from(users).where(eq(users.id, res.json().user.id));
    expect(row!.passwordHash).toBeNull();
  });

  it('refuses a second account with the same email in any case with 409 email_taken', async () => {
    const email = uniqueEmail('dup');
    expect((await createUserRequest({ email, name: 'One' })).statusCode).toBe(201);
    const again = await createUserRequest({ email: email.toUpperCase(), name: 'Two' });
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toBe('email_taken');
  });

  it('validates email, name and password length with 400 and details', async () => {
    for (const body of [
      { email: 'not-an-email', name: 'X' },
      { email: uniqueEmail(), name: '' },
      { email: uniqueEmail(), name: 'X', password: 'short' },
      { email: uniqueEmail(), name: 'X', role: 'root' },
    ]) {
      const res = await createUserRequest(body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json()).toMatchObject({ error: 'invalid_request', details: expect.any(Array) });
    }
  });

  it('lists every person for admins', async () => {
    const person = await addUser(t, admin);
    const res = await t.app.inject({ url: '/api/v1/users', headers: admin.headers });
    expect(res.statusCode).toBe(200);
    const emails = res.json<{ users: { email: string }[] }>().users.map((u) => u.email);
    expect(emails).toContain(person.email);
    expect(emails).toContain(admin.email);
    expect(res.body).not.toMatch(/password|argon2/);
  });

  it('updates name, role and plan, and disables and re-enables a person', async () => {
    const person = await createUser(t, admin);
    const res = await patch(person.id, { name: 'Renamed', role: 'admin', plan: 'enterprise' });
    expect(res.statusCode).toBe(200);
    expect(res.json().user).toMatchObject({ name: 'Renamed', role: 'admin', plan: 'enterprise', disabled: false });
    // The new role applies to the person's existing session at once.
    expect((await t.app.inject({ url: '/api/v1/users', headers: person.headers })).statusCode).toBe(200);

    expect((await patch(person.id, { disabled: true })).json().user.disabled).toBe(true);
    expect((await patch(person.id, { disabled: false })).json().user.disabled).toBe(false);
    const back = await t.app.inject({
      method: 'POST',
      url: '/login',
      payload: { email: person.email, password: PASSWORD },
    });
    expect(back.statusCode).toBe(200);
  });

  it('refuses an empty update, an unknown person and demoting or disabling the last active admin', async () => {
    expect((await patch(admin.id, {})).statusCode).toBe(400);
    expect((await patch('00000000-0000-4000-8000-000000000000', { name: 'Nobody' })).statusCode).toBe(404);
    const fresh = await createTestApp();
    try {
      const only = await signInAdmin(fresh);
      for (const body of [{ role: 'user' }, { disabled: true }]) {
        const res = await fresh.app.inject({
          method: 'PATCH',
          url: `/api/v1/users/${only.id}`,
          headers: only.headers,
          payload: body,
        });
        expect(res.statusCode).toBe(409);
        expect(res.json().error).toBe('last_admin');
      }
    } finally {
      await fresh.close();
    }
  });
});

describe('routes must declare who may call them', () => {
  it('refuses to build an app with a route that has no config.auth', async () => {
    const database = await createTestDatabase();
    try {
      await expect(
        buildApp({
          config: testConfig(),
          database,
          extraRoutes: [
            (app) => {
              app.get('/undeclared', () => 'open to anyone?');
            },
          ],
        }),
      ).rejects.toThrow('Route GET /undeclared does not declare config.auth');
    } finally {
      await database.close();
    }
  });
});
