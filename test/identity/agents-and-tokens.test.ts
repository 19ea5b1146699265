import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { credentials } from '../../src/db/schema/index.js';
import { verifySecret } from '../../src/lib/crypto.js';
import { createTestApp, type TestApp } from '../harness/app.js';
import {
  bearer,
  createAgentWithToken,
  createUser,
  exchange,
  issueToken,
  signInAdmin,
  waitForAudit,
  type Person,
} from '../harness/identity.js';

// Count argon2 verifications to prove which requests never reach the hash.
vi.mock('../../src/lib/crypto.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/lib/crypto.js')>();
  return { ...original, verifySecret: vi.fn(original.verifySecret) };
});

const TOKEN = /^agt_[A-Za-z0-9]{6}_[A-Za-z0-9_-]{43}$/;

describe('agent identities and API tokens', () => {
  let t: TestApp;
  let admin: Person;
  const post = (url: string, headers: Record<string, string>, payload?: object) =>
    t.app.inject({ method: 'POST', url, headers, ...(payload ? { payload } : {}) });

  beforeAll(async () => {
    t = await createTestApp();
    admin = await signInAdmin(t);
  });
  afterAll(() => t.close());
  beforeEach(() => {
    vi.mocked(verifySecret).mockClear();
  });

  it('lets an admin create an agent identity for a person, and refuses people who are not admins', async () => {
    const owner = await createUser(t, admin);
    const res = await post('/api/v1/agents', admin.headers, {
      name: 'build-01',
      display_name: 'Build box',
      server_id: 'srv-build-01',
      owner_id: owner.id,
      role: 'admin',
    });
    expect(res.statusCode).toBe(201);
    expect(res.json().agent).toMatchObject({
      name: 'build-01',
      display_name: 'Build box',
      server_id: 'srv-build-01',
      owner_id: owner.id,
      role: 'admin',
      status: 'approved',
      online: false,
      team_id: null,
    });
    const denied = await post('/api/v1/agents', owner.headers, { name: 'mine' });
    expect(denied.statusCode).toBe(403);
    const duplicate = await post('/api/v1/agents', admin.headers, {
      name: 'build-02',
      server_id: 'srv-build-01',
      owner_id: owner.id,
    });
    expect(duplicate.statusCode).toBe(409);
    expect(duplicate.json()).toMatchObject({ error: 'server_id_conflict', suggestion: expect.any(String) });
  });

  it('issues agt_<6>_<secret> tokens once, whose prefix is the first 10 characters, stored as argon2id', async () => {
    const { agent, token, prefix, credentialId } = await createAgentWithToken(t, admin);
    expect(token).toMatch(TOKEN);
    expect(prefix).toBe(token.slice(0, 10));
    const [row] = await t.database.db.select().from(credentials).where(eq(credentials.id, credentialId));
    expect(row).toMatchObject({ agentId: agent.id, kind: 'api', prefix });
    expect(row!.secretHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(row!.secretHash).not.toContain(token.slice(11));

    const list = await t.app.inject({ url: `/api/v1/agents/${agent.id}/tokens`, headers: admin.headers });
    expect(list.statusCode).toBe(200);
    expect(list.json().tokens).toEqual([
      expect.objectContaining({ id: credentialId, prefix, kind: 'api', revoked_at: null, last_used_at: null }),
    ]);
    expect(list.body).not.toContain(token.slice(11));
    expect(list.body).not.toContain('secret');
  });

  it('sends issued tokens with Cache-Control: no-store', async () => {
    const { agent } = await createAgentWithToken(t, admin);
    const res = await post(`/api/v1/agents/${agent.id}/tokens`, admin.headers, {});
    expect(res.statusCode).toBe(201);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.json()).toEqual({
      token: expect.stringMatching(TOKEN),
      prefix: expect.any(String),
      id: expect.any(String),
      expires_at: null,
    });
  });

  it('records an optional expiry and scopes, and carries the scopes into the JWT', async () => {
    const expiresAt = new Date(Date.now() + 3600_000);
    const issued = await createAgentWithToken(t, admin, { expiresAt, scopes: ['metrics:write', 'rooms:read'] });
    const list = await t.app.inject({ url: `/api/v1/agents/${issued.agent.id}/tokens`, headers: admin.headers });
    expect(list.json().tokens[0]).toMatchObject({
      expires_at: expiresAt.toISOString(),
      scopes: ['metrics:write', 'rooms:read'],
    });
    const jwt = await exchange(t, issued.token);
    const payload = JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as { scope: string };
    expect(payload.scope).toBe('metrics:write rooms:read');
  });

  it('exchanges an API token for a 15-minute JWT that is not cached, and records last_used_at', async () => {
    const issued = await createAgentWithToken(t, admin, { serverId: 'srv-exchange' });
    const before = Date.now();
    const res = await post('/api/v1/sessions', bearer(issued.token));
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json<{ token: string; token_type: string; expires_at: string; expires_in: number }>();
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 900 });
    expect(new Date(body.expires_at).getTime() - before).toBeGreaterThan(899_000);
    const me = await t.app.inject({ url: '/api/v1/me', headers: bearer(body.token) });
    expect(me.json()).toEqual({
      agent: {
        id: issued.agent.id,
        name: issued.agent.name,
        server_id: 'srv-exchange',
        role: 'agent',
        owner_id: admin.id,
        team_id: null,
      },
    });
    const [row] = await t.database.db.select().from(credentials).where(eq(credentials.id, issued.credentialId));
    expect(row!.lastUsedAt!.getTime()).toBeGreaterThanOrEqual(before - 1000);
  });

  it('accepts the API token only at the exchange, and the JWT everywhere but the exchange', async () => {
    const issued = await createAgentWithToken(t, admin);
    const jwt = await exchange(t, issued.token);
    const apiTokenOnMe = await t.app.inject({ url: '/api/v1/me', headers: bearer(issued.token) });
    expect(apiTokenOnMe.statusCode).toBe(401);
    expect(apiTokenOnMe.json().message).toMatch(/POST \/api\/v1\/sessions/);
    expect((await post('/api/v1/sessions', bearer(jwt))).statusCode).toBe(401);
    expect((await post('/api/v1/sessions', {})).statusCode).toBe(401);
    expect((await post('/api/v1/sessions', admin.headers)).statusCode).toBe(401);
  });

  it('answers an unknown prefix with 401 without computing an argon2 hash', async () => {
    const res = await post('/api/v1/sessions', bearer(`agt_zzzzzz_${'A'.repeat(43)}`));
    expect(res.statusCode).toBe(401);
    expect(res.json().error).toBe('unauthorized');
    expect(verifySecret).not.toHaveBeenCalled();
    const malformed = await post('/api/v1/sessions', bearer('agt_short'));
    expect(malformed.statusCode).toBe(401);
    expect(verifySecret).not.toHaveBeenCalled();
  });

  it('answers a known prefix with a wrong secret with 401 and an audit event naming the prefix, not the secret', async () => {
    const issued = await createAgentWithToken(t, admin);
    const wrong = `${issued.prefix}_${'B'.repeat(43)}`;
    const res = await post('/api/v1/sessions', bearer(wrong));
    expect(res.statusCode).toBe(401);
    expect(verifySecret).toHaveBeenCalledTimes(1);
    const event = await waitForAudit(t, admin, `type=token.exchange_failed&subject_id=${issued.agent.id}`);
    expect(event).toMatchObject({
      actor_type: 'anon',
      subject_type: 'agent',
      payload: { prefix: issued.prefix, credential_id: issued.credentialId, reason: 'bad_secret' },
    });
    expect(JSON.stringify(event)).not.toContain('B'.repeat(43));
  });

  it('refuses an API token past its expiry', async () => {
    const issued = await createAgentWithToken(t, admin, { expiresAt: new Date(Date.now() + 60_000) });
    await t.database.db
      .update(credentials)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(credentials.id, issued.credentialId));
    const res = await post('/api/v1/sessions', bearer(issued.token));
    expect(res.statusCode).toBe(401);
  });

  it('revokes a token by prefix: 204, the exchange fails, and the list shows when and why', async () => {
    const issued = await createAgentWithToken(t, admin);
    const res = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/tokens/${issued.prefix}`,
      headers: admin.headers,
    });
    expect(res.statusCode).toBe(204);
    expect((await post('/api/v1/sessions', bearer(issued.token))).statusCode).toBe(401);
    const list = await t.app.inject({ url: `/api/v1/agents/${issued.agent.id}/tokens`, headers: admin.headers });
    expect(list.json().tokens[0]).toMatchObject({ revoked_at: expect.any(String), revoked_reason: 'revoked' });
    const unknown = await t.app.inject({ method: 'DELETE', url: '/api/v1/tokens/agt_nonexi', headers: admin.headers });
    expect(unknown.statusCode).toBe(404);
  });

  it('lets the owning person issue, list and revoke tokens of their agent', async () => {
    const owner = await createUser(t, admin);
    const { agent } = await createAgentWithToken(t, admin, { owner });
    const mine = await issueToken(t, owner, agent.id);
    expect(await exchange(t, mine.token)).toMatch(/^ey/);
    const list = await t.app.inject({ url: `/api/v1/agents/${agent.id}/tokens`, headers: owner.headers });
    expect(list.json().tokens).toHaveLength(2);
    const res = await t.app.inject({ method: 'DELETE', url: `/api/v1/tokens/${mine.prefix}`, headers: owner.headers });
    expect(res.statusCode).toBe(204);
  });

  it('stops every credential of a deactivated agent and refuses new tokens for it', async () => {
    const issued = await createAgentWithToken(t, admin);
    const jwt = await exchange(t, issued.token);
    const res = await post(`/api/v1/agents/${issued.agent.id}/deactivate`, admin.headers);
    expect(res.statusCode).toBe(200);
    expect(res.json().agent).toMatchObject({ status: 'inactive', deactivated_at: expect.any(String) });
    expect((await post('/api/v1/sessions', bearer(issued.token))).statusCode).toBe(401);
    expect((await t.app.inject({ url: '/api/v1/me', headers: bearer(jwt) })).statusCode).toBe(401);
    expect((await post(`/api/v1/agents/${issued.agent.id}/tokens`, admin.headers, {})).statusCode).toBe(409);
    expect((await post(`/api/v1/agents/${issued.agent.id}/deactivate`, admin.headers)).statusCode).toBe(409);
  });

  it('regenerates: every old credential stops and one new token is returned once', async () => {
    const issued = await createAgentWithToken(t, admin);
    const second = await issueToken(t, admin, issued.agent.id);
    const oldJwt = await exchange(t, issued.token);
    const res = await post(`/api/v1/agents/${issued.agent.id}/regenerate-token`, admin.headers);
    expect(res.statusCode).toBe(201);
    const fresh = res.json<{ token: string }>().token;
    expect(fresh).toMatch(TOKEN);
    expect((await post('/api/v1/sessions', bearer(issued.token))).statusCode).toBe(401);
    expect((await post('/api/v1/sessions', bearer(second.token))).statusCode).toBe(401);
    expect((await t.app.inject({ url: '/api/v1/me', headers: bearer(oldJwt) })).statusCode).toBe(401);
    expect(await exchange(t, fresh)).toMatch(/^ey/);
  });

  it('marks the active agent with a server_id replaced so the server_id can be linked again', async () => {
    const owner = await createUser(t, admin);
    const issued = await createAgentWithToken(t, admin, { owner, serverId: 'srv-replace-me' });
    const res = await post('/api/v1/agents/replace', owner.headers, { server_id: 'srv-replace-me' });
    expect(res.statusCode).toBe(200);
    expect(res.json().agent).toMatchObject({ id: issued.agent.id, status: 'replaced' });
    expect((await post('/api/v1/sessions', bearer(issued.token))).statusCode).toBe(401);
    const again = await post('/api/v1/agents', admin.headers, {
      name: 'replacement',
      server_id: 'srv-replace-me',
      owner_id: owner.id,
    });
    expect(again.statusCode).toBe(201);
  });
});

describe('token exchange brute-force limits', () => {
  let t: TestApp;
  let admin: Person;
  beforeAll(async () => {
    t = await createTestApp();
    admin = await signInAdmin(t);
  });
  afterAll(() => t.close());

  it('blocks a prefix after 10 wrong secrets, even for the right secret, from any address', async () => {
    const issued = await createAgentWithToken(t, admin);
    for (let i = 0; i < 10; i++) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/sessions',
        remoteAddress: `10.1.0.${i + 1}`,
        headers: bearer(`${issued.prefix}_${String(i).padStart(43, 'x')}`),
      });
      expect(res.statusCode).toBe(401);
    }
    const blocked = await t.app.inject({
      method: 'POST',
      url: '/api/v1/sessions',
      remoteAddress: '10.1.0.200',
      headers: bearer(issued.token),
    });
    expect(blocked.statusCode).toBe(429);
    expect(blocked.json().error).toBe('rate_limited');
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);

    const other = await createAgentWithToken(t, admin);
    expect(await exchange(t, other.token)).toMatch(/^ey/);
  });

  it('blocks an address after 30 failed exchanges, while other addresses still exchange', async () => {
    const issued = await createAgentWithToken(t, admin);
    const ip = '10.2.0.1';
    for (let i = 0; i < 30; i++) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/sessions',
        remoteAddress: ip,
        headers: bearer(`agt_${String(i).padStart(6, 'q')}_${'C'.repeat(43)}`),
      });
      expect(res.statusCode).toBe(401);
    }
    const blocked = await t.app.inject({
      method: 'POST',
      url: '/api/v1/sessions',
      remoteAddress: ip,
      headers: bearer(issued.token),
    });
    expect(blocked.statusCode).toBe(429);
    const elsewhere = await t.app.inject({
      method: 'POST',
      url: '/api/v1/sessions',
      remoteAddress: '10.2.0.2',
      headers: bearer(issued.token),
    });
    expect(elsewhere.statusCode).toBe(200);
  });
});
