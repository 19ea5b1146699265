import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../harness/app.js';
import {
  agentMe,
  approveJson,
  approveViaPages,
  expectOAuthError,
  formField,
  openLink,
  pollStatus,
  pollToken,
  postForm,
  registerDevice,
  requestDeviceCode,
  USER_CODE_FORMAT,
  type TokenResponse,
} from '../harness/devices.js';
import { bearer, createUser, formBody, openForm, signInAdmin, type Person } from '../harness/identity.js';
import { queryRows } from '../harness/sql.js';

describe('device linking through both front doors and the /link pages', () => {
  let t: TestApp;
  let admin: Person;
  let owner: Person;

  beforeAll(async () => {
    t = await createTestApp({ config: { DEVICE_POLL_INTERVAL: 1 } });
    admin = await signInAdmin(t);
    owner = await createUser(t, admin, { name: 'Olive Owner', plan: 'pro' });
  });
  afterAll(() => t.close());

  it('links a device that registered over RFC 8628, approved on the /link pages, and hands out Bearer tokens once', async () => {
    const grant = await requestDeviceCode(
      t,
      {
        device_name: 'Build box',
        server_id: 'srv-build-01',
        device_info: JSON.stringify({ hostname: 'build-01.example.net', os: 'linux', arch: 'arm64', version: '1.4.2' }),
      },
      { remoteAddress: '192.0.2.44' },
    );
    expect(grant.user_code).toMatch(USER_CODE_FORMAT);
    expect(grant.verification_uri).toBe('http://localhost:3000/link');
    expect(grant.verification_uri_complete).toBe(`http://localhost:3000/link?user_code=${grant.user_code}`);
    expect(grant.expires_in).toBe(900);
    expect(grant.interval).toBe(1);

    const pending = await pollToken(t, grant.device_code);
    expectOAuthError(pending, 'authorization_pending');

    // The person follows verification_uri_complete: the code is prefilled, then confirmed.
    const link = await openLink(t, owner, new URL(grant.verification_uri_complete).searchParams.get('user_code') ?? '');
    expect(link.confirm.statusCode).toBe(200);
    const page = link.confirm.body;
    const [row] = await queryRows<{ created_at: Date | string }>(
      t.database.db,
      sql`select created_at from device_authorizations where user_code = ${grant.user_code.replace('-', '')}`,
    );
    for (const shown of [
      'Build box',
      'srv-build-01',
      'build-01.example.net',
      'linux / arm64',
      '1.4.2',
      '192.0.2.44',
      new Date(row?.created_at ?? 0).toISOString(),
      grant.user_code,
    ])
      expect(page).toContain(shown);
    expect(page).toContain('action="/link/approve"');
    expect(page).toContain('action="/link/deny"');
    // Only the confirmation page shows what is being approved; nothing is approved yet.
    expectOAuthError(await pollToken(t, grant.device_code), 'slow_down');

    const approved = await link.post('/link/approve', {
      user_code: formField(page, '/link/approve', 'user_code') ?? '',
    });
    expect(approved.statusCode).toBe(200);
    expect(approved.body).toContain('Device approved');
    expect(approved.body).toContain('srv-build-01');

    const issued = await pollToken(t, grant.device_code);
    expect(issued.statusCode).toBe(200);
    expect(issued.headers['cache-control']).toBe('no-store');
    expect(issued.headers['www-authenticate']).toBeUndefined();
    const tokens = issued.json<TokenResponse & Record<string, unknown>>();
    expect(Object.keys(tokens).sort()).toEqual(['access_token', 'expires_in', 'refresh_token', 'scope', 'token_type']);
    expect(tokens.token_type).toBe('Bearer');
    expect(tokens).not.toHaveProperty('id_token');
    expect(tokens.expires_in).toBe(900);
    expect(tokens.refresh_token).toMatch(/^agr_/);

    const me = await agentMe(t, tokens.access_token);
    expect(me.statusCode).toBe(200);
    expect(me.json()).toEqual({
      agent: expect.objectContaining({ server_id: 'srv-build-01', owner_id: owner.id, team_id: null }),
    });
    const listed = await t.app.inject({ url: '/api/v1/agents', headers: owner.headers });
    expect(listed.json<{ agents: unknown[] }>().agents).toEqual([
      expect.objectContaining({ server_id: 'srv-build-01', device_name: 'Build box', status: 'approved' }),
    ]);
  });

  it('links a device that registered over the JSON API, approved on the /link pages, and returns an API token that exchanges for a JWT', async () => {
    const grant = await registerDevice(t, {
      device_name: 'Web 02',
      device_info: { server_id: 'srv-web-02', hostname: 'web-02', os: 'debian 12', arch: 'x86_64' },
    });
    expect(grant.user_code).toMatch(USER_CODE_FORMAT);
    expect(grant.verification_url).toBe('http://localhost:3000/link');
    expect(grant.verification_uri).toBe('http://localhost:3000/link');
    expect(grant.verification_uri_complete).toBe(`http://localhost:3000/link?user_code=${grant.user_code}`);
    expect(grant.expires_in).toBe(900);
    expect(grant.interval).toBe(1);

    const pending = await pollStatus(t, grant.device_code);
    expect(pending.statusCode).toBe(200);
    expect(pending.json()).toEqual({ status: 'pending', interval: 1 });

    const result = await approveViaPages(t, owner, grant.user_code);
    expect(result.statusCode).toBe(200);
    expect(result.body).toContain('Web 02 is linked as srv-web-02');

    const approved = await pollStatus(t, grant.device_code);
    expect(approved.statusCode).toBe(200);
    expect(approved.headers['cache-control']).toBe('no-store');
    const body = approved.json<{
      status: string;
      token_type: string;
      access_token: string;
      refresh_token: string;
      api_token: string;
      agent: { id: string; server_id: string; device_name: string };
    }>();
    expect(body).toMatchObject({ status: 'approved', token_type: 'Bearer', expires_in: 900 });
    expect(body.agent).toEqual({ id: expect.any(String), server_id: 'srv-web-02', device_name: 'Web 02' });
    expect(body.api_token).toMatch(/^agt_/);
    expect(body.refresh_token).toMatch(/^agr_/);
    expect((await agentMe(t, body.access_token)).json().agent.id).toBe(body.agent.id);
    const stored = await t.app.inject({ url: `/api/v1/agents/${body.agent.id}`, headers: owner.headers });
    expect(stored.json().agent.device_info).toEqual({
      server_id: 'srv-web-02',
      hostname: 'web-02',
      os: 'debian 12',
      arch: 'x86_64',
    });

    const exchanged = await t.app.inject({ method: 'POST', url: '/api/v1/sessions', headers: bearer(body.api_token) });
    expect(exchanged.statusCode).toBe(200);
    expect((await agentMe(t, exchanged.json<{ token: string }>().token)).json().agent.server_id).toBe('srv-web-02');

    const again = await pollStatus(t, grant.device_code);
    expect(again.statusCode).toBe(410);
    expect(again.json()).toMatchObject({ error: 'already_redeemed' });
  });

  it('sends a visitor without a session to sign in and back to the prefilled /link page', async () => {
    const grant = await requestDeviceCode(t);
    const visit = await t.app.inject({ url: `/link?user_code=${grant.user_code}` });
    expect(visit.statusCode).toBe(303);
    const login = new URL(visit.headers.location ?? '', 'http://localhost:3000');
    expect(login.pathname).toBe('/login');
    const next = login.searchParams.get('next') ?? '';
    expect(next).toBe(`/link?user_code=${grant.user_code}`);

    const form = await openForm(t, `${login.pathname}${login.search}`);
    expect(formField(form.page.body, '/login', 'next')).toBe(next);
    const body = formBody({ _csrf: form.csrf, email: owner.email, password: owner.password ?? '', next });
    const signedIn = await t.app.inject({
      method: 'POST',
      url: '/login',
      headers: { ...body.headers, origin: owner.headers.origin, cookie: form.cookie },
      payload: body.payload,
      remoteAddress: '198.51.100.250',
    });
    expect(signedIn.statusCode).toBe(303);
    expect(signedIn.headers.location).toBe(next);

    const page = await t.app.inject({ url: next, headers: { cookie: owner.headers.cookie } });
    expect(page.statusCode).toBe(200);
    expect(formField(page.body, '/link', 'user_code')).toBe(grant.user_code);
  });

  it('never approves on a GET, and refuses approval posts without the CSRF token or from another origin', async () => {
    const grant = await requestDeviceCode(t, { server_id: 'srv-csrf-01' });
    const link = await openLink(t, owner, grant.user_code);
    expect(link.confirm.statusCode).toBe(200);
    for (const url of [`/link?user_code=${grant.user_code}`, `/link/approve?user_code=${grant.user_code}`])
      await t.app.inject({ url, headers: { cookie: link.cookie } });

    const withoutToken = await postForm(
      t,
      '/link/approve',
      { user_code: grant.user_code },
      { headers: { origin: owner.headers.origin, cookie: link.cookie } },
    );
    expect(withoutToken.statusCode).toBe(403);
    expect(withoutToken.json()).toMatchObject({ error: 'csrf_failed' });

    const crossSite = await postForm(
      t,
      '/link/approve',
      { _csrf: link.csrf, user_code: grant.user_code },
      { headers: { origin: 'https://evil.example', cookie: link.cookie } },
    );
    expect(crossSite.statusCode).toBe(403);

    const crossSiteJson = await t.app.inject({
      method: 'POST',
      url: '/api/v1/agent-link/approve',
      headers: { cookie: owner.headers.cookie, origin: 'https://evil.example' },
      payload: { user_code: grant.user_code },
    });
    expect(crossSiteJson.statusCode).toBe(403);

    expectOAuthError(await pollToken(t, grant.device_code), 'authorization_pending');
  });

  it('accepts a user code in any case, with or without the dash or spaces, on the page and over JSON', async () => {
    const first = await requestDeviceCode(t);
    const compact = first.user_code.replace('-', '').toLowerCase();
    const link = await openLink(t, owner, compact);
    expect(link.confirm.statusCode).toBe(200);
    // The confirmation page shows the canonical form.
    expect(formField(link.confirm.body, '/link/approve', 'user_code')).toBe(first.user_code);

    for (const variant of [
      (code: string) => code.toLowerCase(),
      (code: string) => code.replace('-', ' '),
      (code: string) => ` ${code.slice(0, 2)} ${code.slice(2).toLowerCase()} `,
    ]) {
      const grant = await requestDeviceCode(t);
      const res = await approveJson(t, owner, { user_code: variant(grant.user_code) });
      expect(res.statusCode, res.body).toBe(200);
    }
  });

  it('draws user codes from the consonant alphabet and keeps only a SHA-256 of device codes of at least 256 bits', async () => {
    const grants = await Promise.all(
      Array.from({ length: 12 }, () => requestDeviceCode(t, { server_id: 'srv-hash-01' })),
    );
    for (const grant of grants) {
      expect(grant.user_code).toMatch(USER_CODE_FORMAT);
      expect(Buffer.from(grant.device_code, 'base64url').length).toBeGreaterThanOrEqual(32);
    }
    expect(new Set(grants.map((g) => g.device_code)).size).toBe(grants.length);

    const grant = grants[0]!;
    const rows = await queryRows(
      t.database.db,
      sql`select * from device_authorizations where user_code = ${grant.user_code.replace('-', '')}`,
    );
    expect(rows).toHaveLength(1);
    const stored = JSON.stringify(rows[0]);
    expect(stored).not.toContain(grant.device_code);
    expect(rows[0]?.['device_code_hash']).toBe(createHash('sha256').update(grant.device_code).digest('base64url'));
    const audit = await queryRows(t.database.db, sql`select payload::text as payload from audit_events`);
    expect(JSON.stringify(audit)).not.toContain(grant.device_code);
  });
});
