import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../harness/app.js';
import {
  addUser,
  bearer,
  createAgentWithToken,
  createUser,
  exchange,
  loginLinkPath,
  PASSWORD,
  signInAdmin,
  waitForAudit,
  type AuditEvent,
  type Person,
} from '../harness/identity.js';

describe('the audit log', () => {
  let t: TestApp;
  let admin: Person;
  const audit = async (query: string, who: Person = admin) => {
    const res = await t.app.inject({ url: `/api/v1/audit?${query}`, headers: who.headers });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<{ events: AuditEvent[]; next_cursor: string | null }>();
  };

  beforeAll(async () => {
    t = await createTestApp();
    admin = await signInAdmin(t);
  });
  afterAll(() => t.close());

  it('is for server admins only', async () => {
    const user = await createUser(t, admin);
    expect((await t.app.inject({ url: '/api/v1/audit', headers: user.headers })).statusCode).toBe(403);
    expect((await t.app.inject('/api/v1/audit')).statusCode).toBe(401);
  });

  it('records sign-in success, failures with their reason, and sign-out', async () => {
    const user = await createUser(t, admin);
    await t.app.inject({ method: 'POST', url: '/login', payload: { email: user.email, password: 'wrong password!' } });
    await t.app.inject({ method: 'POST', url: '/login', payload: { email: 'ghost@example.com', password: PASSWORD } });
    await t.app.inject({ method: 'POST', url: '/logout', headers: user.headers });

    const login = await waitForAudit(t, admin, `type=user.login&actor_id=${user.id}`);
    expect(login).toMatchObject({ actor_type: 'user', subject_id: user.id, payload: { method: 'password' } });
    expect(login.ip).toBeTruthy();
    const failures = (await audit('type=user.login_failed')).events;
    expect(failures).toContainEqual(
      expect.objectContaining({ actor_type: 'anon', subject_id: user.id, payload: { reason: 'bad_password' } }),
    );
    expect(failures).toContainEqual(
      expect.objectContaining({ subject_id: null, payload: { reason: 'unknown_email' } }),
    );
    expect(JSON.stringify(failures)).not.toContain('wrong password!');
    await waitForAudit(t, admin, `type=user.logout&actor_id=${user.id}`);
  });

  it('records magic-link issue and use, and who issued the link', async () => {
    const user = await addUser(t, admin, { password: null });
    const path = await loginLinkPath(t, admin, user.email);
    await t.app.inject({ method: 'POST', url: path });
    const issued = await waitForAudit(t, admin, `type=login_link.issued&subject_id=${user.id}`);
    expect(issued).toMatchObject({ actor_type: 'user', actor_id: admin.id });
    const used = await waitForAudit(t, admin, `type=login_link.used&subject_id=${user.id}`);
    expect(used.actor_id).toBe(user.id);
    await waitForAudit(t, admin, `type=user.login&actor_id=${user.id}`, (e) => e.payload['method'] === 'magic_link');
    const token = path.split('/').pop()!;
    expect(JSON.stringify((await audit('limit=200')).events)).not.toContain(token);
  });

  it('records token issue, exchange, failed exchange and revoke without any secret', async () => {
    const { agent, token, prefix, credentialId } = await createAgentWithToken(t, admin);
    const jwt = await exchange(t, token);
    await t.app.inject({ method: 'POST', url: '/api/v1/sessions', headers: bearer(`${prefix}_${'Z'.repeat(43)}`) });
    await t.app.inject({ method: 'DELETE', url: `/api/v1/tokens/${prefix}`, headers: admin.headers });

    const about = `subject_id=${agent.id}`;
    expect(await waitForAudit(t, admin, `type=token.issued&${about}`)).toMatchObject({
      actor_id: admin.id,
      payload: { prefix, credential_id: credentialId },
    });
    expect(await waitForAudit(t, admin, `type=token.exchanged&${about}`)).toMatchObject({
      actor_type: 'agent',
      actor_id: agent.id,
    });
    expect(await waitForAudit(t, admin, `type=token.exchange_failed&${about}`)).toMatchObject({
      actor_type: 'anon',
      payload: { prefix, reason: 'bad_secret' },
    });
    expect(await waitForAudit(t, admin, `type=token.revoked&${about}`)).toMatchObject({
      actor_id: admin.id,
      payload: { prefix, reason: 'revoked' },
    });
    const everything = JSON.stringify((await audit('limit=200')).events);
    for (const secret of [token, token.slice(11), jwt, 'Z'.repeat(43)]) expect(everything).not.toContain(secret);
  });

  it('records user and team changes with the acting admin or person', async () => {
    const user = await addUser(t, admin);
    await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/users/${user.id}`,
      headers: admin.headers,
      payload: { plan: 'pro', name: 'Renamed' },
    });
    expect(await waitForAudit(t, admin, `type=user.created&subject_id=${user.id}`)).toMatchObject({
      actor_id: admin.id,
      payload: { role: 'user', plan: 'free' },
    });
    const updated = await waitForAudit(t, admin, `type=user.updated&subject_id=${user.id}`);
    expect(updated.actor_id).toBe(admin.id);
    expect(updated.payload['changes']).toEqual(expect.arrayContaining(['plan', 'name']));

    const owner = await createUser(t, admin);
    const team = await t.app.inject({
      method: 'POST',
      url: '/api/v1/teams',
      headers: owner.headers,
      payload: { name: 'Audited' },
    });
    const teamId = team.json<{ team: { id: string } }>().team.id;
    await t.app.inject({
      method: 'POST',
      url: `/api/v1/teams/${teamId}/members`,
      headers: owner.headers,
      payload: { email: user.email, role: 'viewer' },
    });
    await t.app.inject({ method: 'DELETE', url: `/api/v1/teams/${teamId}/members/${user.id}`, headers: owner.headers });
    expect(await waitForAudit(t, admin, `type=team.created&subject_id=${teamId}`)).toMatchObject({
      actor_id: owner.id,
    });
    expect(await waitForAudit(t, admin, `type=team.member_added&subject_id=${teamId}`)).toMatchObject({
      payload: { user_id: user.id, role: 'viewer' },
    });
    expect(await waitForAudit(t, admin, `type=team.member_removed&subject_id=${teamId}`)).toMatchObject({
      payload: { user_id: user.id },
    });
  });

  it('filters by type, actor and time window', async () => {
    const user = await createUser(t, admin);
    const byActor = await audit(`actor_id=${user.id}`);
    expect(byActor.events.length).toBeGreaterThan(0);
    expect(byActor.events.every((e) => e.actor_id === user.id)).toBe(true);
    const byType = await audit('type=user.created');
    expect(byType.events.every((e) => e.type === 'user.created')).toBe(true);

    const future = await audit(`from=${Math.floor(Date.now() / 1000) + 3600}`);
    expect(future.events).toEqual([]);
    const past = await audit(`to=${new Date(Date.now() - 24 * 3600_000).toISOString()}`);
    expect(past.events).toEqual([]);
    const recent = await audit(`from=${new Date(Date.now() - 60_000).toISOString()}&actor_id=${user.id}`);
    expect(recent.events.length).toBe(byActor.events.length);
    expect((await t.app.inject({ url: '/api/v1/audit?from=yesterday', headers: admin.headers })).statusCode).toBe(400);
  });

  it('pages newest first with a cursor, visiting every event exactly once', async () => {
    const all = (await audit('limit=200')).events;
    expect(all.length).toBeGreaterThan(10);
    const created = all.map((e) => Date.parse(e.created_at));
    expect([...created].sort((a, b) => b - a)).toEqual(created);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { events: AuditEvent[]; next_cursor: string | null } = await audit(
        `limit=3${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.events.length).toBeLessThanOrEqual(3);
      seen.push(...page.events.map((e) => e.id));
      cursor = page.next_cursor;
    } while (cursor);
    // Events recorded while paging are newer than the first page, so they cannot show up later.
    expect(seen).toEqual(all.map((e) => e.id));
  });

  it('does not skip events that share a millisecond (Postgres keeps microseconds)', async () => {
    // Five events within one millisecond, as a burst of inserts produces.
    await t.database.db.execute(sql`
      insert into audit_events (type, actor_type, created_at)
      select 'test.burst', 'system', timestamptz '2020-01-01 00:00:00.123000+00' + make_interval(secs => n / 1000000.0)
      from generate_series(100, 500, 100) as n`);
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { events: AuditEvent[]; next_cursor: string | null } = await audit(
        `type=test.burst&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      ids.push(...page.events.map((e) => e.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(ids).toHaveLength(5);
    expect(new Set(ids).size).toBe(5);
  });

  it('refuses a malformed cursor with 400', async () => {
    const res = await t.app.inject({ url: '/api/v1/audit?cursor=not-a-cursor', headers: admin.headers });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toBe('invalid_request');
  });
});
