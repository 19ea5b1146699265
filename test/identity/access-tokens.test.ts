import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import jwt from 'jsonwebtoken';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { testConfig } from '../../src/config.js';
import { credentials } from '../../src/db/schema/index.js';
import { createAccessTokens } from '../../src/identity/access-tokens.jwt.js';
import { createTestApp, type TestApp } from '../harness/app.js';
import {
  bearer,
  createAgentWithToken,
  exchange,
  signInAdmin,
  type AgentWithToken,
  type Person,
} from '../harness/identity.js';

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function decode(token: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [header, payload] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(header!, 'base64url').toString()) as Record<string, unknown>,
    payload: JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>,
  };
}

describe('access JWTs', () => {
  let t: TestApp;
  let admin: Person;
  let agent: AgentWithToken;
  let valid: string;
  const me = (token: string) => t.app.inject({ url: '/api/v1/me', headers: bearer(token) });

  /** Claims a genuine token would carry for this agent, for forging variants of it. */
  function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    const now = Math.floor(Date.now() / 1000);
    return { ...decode(valid).payload, iat: now, exp: now + 900, jti: randomUUID(), ...overrides };
  }
  function sign(payload: Record<string, unknown>, key = t.config.jwtSecret, header: Record<string, unknown> = {}) {
    return jwt.sign(payload, key, { algorithm: 'HS256', header: { alg: 'HS256', typ: 'at+jwt', ...header } });
  }

  beforeAll(async () => {
    t = await createTestApp();
    admin = await signInAdmin(t);
    agent = await createAgentWithToken(t, admin, { serverId: 'srv-jwt-1' });
    valid = await exchange(t, agent.token);
  });
  afterAll(() => t.close());

  it('issues an HS256 at+jwt with iss, aud, sub, owner, team, server_id, scope, cid, jti and a 15-minute exp', () => {
    const { header, payload } = decode(valid);
    expect(header).toEqual({ alg: 'HS256', typ: 'at+jwt' });
    expect(payload).toMatchObject({
      iss: 'agenthub',
      aud: 'agenthub-api',
      sub: agent.agent.id,
      owner: admin.id,
      team: null,
      server_id: 'srv-jwt-1',
      scope: '',
      cid: agent.credentialId,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect((payload['exp'] as number) - (payload['iat'] as number)).toBe(900);
  });

  it('accepts a genuine token and a token forged with the right key and claims (the baseline)', async () => {
    expect((await me(valid)).statusCode).toBe(200);
    expect((await me(sign(claims()))).statusCode).toBe(200);
  });

  it('accepts the bearer scheme in any case, as HTTP auth schemes are case-insensitive', async () => {
    for (const scheme of ['bearer', 'BEARER', 'Bearer'])
      expect(
        (await t.app.inject({ url: '/api/v1/me', headers: { authorization: `${scheme} ${valid}` } })).statusCode,
      ).toBe(200);
    const basic = await t.app.inject({ url: '/api/v1/me', headers: { authorization: `Basic ${valid}` } });
    expect(basic.statusCode).toBe(401);
  });

  it('refuses a token whose payload was tampered with after signing', async () => {
    const [header, , signature] = valid.split('.');
    const tampered = `${header!}.${b64url({ ...decode(valid).payload, owner: randomUUID(), role: 'admin' })}.${signature!}`;
    const res = await me(tampered);
    expect(res.statusCode).toBe(401);
    expect(res.json().error).toBe('unauthorized');
  });

  it('refuses a token whose signature was altered', async () => {
    const [header, payload, signature] = valid.split('.');
    const flipped = (signature!.startsWith('A') ? 'B' : 'A') + signature!.slice(1);
    expect((await me(`${header!}.${payload!}.${flipped}`)).statusCode).toBe(401);
    expect((await me(`${header!}.${payload!}.`)).statusCode).toBe(401);
  });

  it('refuses an expired token with token_expired', async () => {
    const now = Math.floor(Date.now() / 1000);
    const res = await me(sign(claims({ iat: now - 1000, exp: now - 10 })));
    expect(res.statusCode).toBe(401);
    expect(res.json().error).toBe('token_expired');
  });

  it('refuses a token for another audience or from another issuer', async () => {
    expect((await me(sign(claims({ aud: 'some-other-api' })))).statusCode).toBe(401);
    expect((await me(sign(claims({ iss: 'someone-else' })))).statusCode).toBe(401);
    const { aud: _aud, ...withoutAudience } = claims();
    expect((await me(sign(withoutAudience))).statusCode).toBe(401);
  });

  it('refuses alg none tokens, with or without a signature part', async () => {
    const header = b64url({ alg: 'none', typ: 'at+jwt' });
    const payload = b64url(claims());
    for (const token of [
      `${header}.${payload}.`,
      `${header}.${payload}`,
      `${header}.${payload}.${valid.split('.')[2]!}`,
    ]) {
      const res = await me(token);
      expect(res.statusCode, token).toBe(401);
    }
    const upper = b64url({ alg: 'None', typ: 'at+jwt' });
    expect((await me(`${upper}.${payload}.`)).statusCode).toBe(401);
  });

  it('refuses a token signed with a wrong key', async () => {
    expect((await me(sign(claims(), 'an-attacker-chosen-key-0123456789abcdef'))).statusCode).toBe(401);
    expect((await me(sign(claims(), t.config.cookieSecret))).statusCode).toBe(401);
  });

  it('refuses a token signed with the right key under another algorithm (the algorithm is pinned)', async () => {
    const hs512 = jwt.sign(claims(), t.config.jwtSecret, {
      algorithm: 'HS512',
      header: { alg: 'HS512', typ: 'at+jwt' },
    });
    expect((await me(hs512)).statusCode).toBe(401);
  });

  it('refuses a correctly signed token whose typ is not at+jwt', async () => {
    expect(await me(sign(claims(), t.config.jwtSecret, { typ: 'JWT' }))).toHaveProperty('statusCode', 401);
    const noTyp = jwt.sign(claims(), t.config.jwtSecret, { algorithm: 'HS256' });
    expect((await me(noTyp)).statusCode).toBe(401);
  });

  it('refuses a correctly signed token naming a credential that does not exist', async () => {
    expect((await me(sign(claims({ cid: randomUUID() })))).statusCode).toBe(401);
  });

  it('refuses garbage bearer values', async () => {
    for (const token of ['x', 'a.b.c', 'eyJ.eyJ.sig', `${valid}x`])
      expect((await me(token)).statusCode, token).toBe(401);
  });

  it('stops a JWT at once when its API token is revoked by prefix', async () => {
    const fresh = await createAgentWithToken(t, admin);
    const token = await exchange(t, fresh.token);
    expect((await me(token)).statusCode).toBe(200);
    const revoke = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/tokens/${fresh.prefix}`,
      headers: admin.headers,
    });
    expect(revoke.statusCode).toBe(204);
    expect((await me(token)).statusCode).toBe(401);
  });

  it('stops a JWT at once when its agent is deactivated', async () => {
    const fresh = await createAgentWithToken(t, admin);
    const token = await exchange(t, fresh.token);
    expect((await me(token)).statusCode).toBe(200);
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/agents/${fresh.agent.id}/deactivate`,
      headers: admin.headers,
    });
    expect(res.statusCode).toBe(200);
    expect((await me(token)).statusCode).toBe(401);
  });

  it('stops a JWT within a second when another instance revokes its credential in the database', async () => {
    const fresh = await createAgentWithToken(t, admin);
    const token = await exchange(t, fresh.token);
    expect((await me(token)).statusCode).toBe(200); // now cached as active
    // No event reaches this process: only the cached check's expiry can notice.
    await t.database.db
      .update(credentials)
      .set({ revokedAt: new Date(), revokedReason: 'revoked' })
      .where(eq(credentials.id, fresh.credentialId));
    const revokedAt = Date.now();
    let lastAcceptedAt = revokedAt;
    let status = 200;
    while (status === 200 && Date.now() - revokedAt < 3000) {
      const startedAt = Date.now();
      status = (await me(token)).statusCode;
      if (status === 200) {
        lastAcceptedAt = startedAt;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    expect(status).toBe(401);
    // No request that started more than a second after the revocation got through.
    expect(lastAcceptedAt - revokedAt).toBeLessThanOrEqual(1000);
  });
});

/** An agent identity for tokens minted outside any app. */
const offlineAgent = {
  id: randomUUID(),
  name: 'offline',
  ownerId: randomUUID(),
  teamId: null,
  serverId: null,
  role: 'agent' as const,
};

describe('access-token key rotation', () => {
  it('verifies tokens of the previous key during a rotation, and not once that key is dropped', () => {
    const oldKey = 'old-jwt-secret-0123456789abcdefghijklmnop';
    const newKey = 'new-jwt-secret-0123456789abcdefghijklmnop';
    const before = createAccessTokens(testConfig({ jwtSecret: oldKey }));
    const issued = before.issue(offlineAgent, randomUUID(), []);

    const during = createAccessTokens(testConfig({ jwtSecret: newKey, JWT_PREVIOUS_SECRET: oldKey }));
    expect(during.verify(issued.token)).toMatchObject({ ok: true, claims: { sub: offlineAgent.id } });
    expect(during.verify(during.issue(offlineAgent, randomUUID(), []).token).ok).toBe(true);

    const after = createAccessTokens(testConfig({ jwtSecret: newKey }));
    expect(after.verify(issued.token)).toEqual({ ok: false, reason: 'unauthorized' });
  });
});

describe('verifying a token the app has verified before', () => {
  afterEach(() => vi.useRealTimers());

  it('answers the same claims again, and token_expired once its exp has passed', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const tokens = createAccessTokens(testConfig());
    const issued = tokens.issue(offlineAgent, randomUUID(), []);
    const first = tokens.verify(issued.token);
    expect(first).toMatchObject({ ok: true, claims: { sub: offlineAgent.id } });
    expect(tokens.verify(issued.token)).toEqual(first);
    vi.setSystemTime(Date.now() + 899_000);
    expect(tokens.verify(issued.token).ok).toBe(true);
    vi.setSystemTime(Date.now() + 1_000);
    expect(tokens.verify(issued.token)).toEqual({ ok: false, reason: 'token_expired' });
    expect(tokens.verify(issued.token)).toEqual({ ok: false, reason: 'token_expired' });
  });

  it('remembers only tokens that verified: a forged one is refused every time', () => {
    const tokens = createAccessTokens(testConfig());
    const [header, payload] = tokens.issue(offlineAgent, randomUUID(), []).token.split('.');
    const forged = `${header!}.${payload!}.${'A'.repeat(43)}`;
    for (let i = 0; i < 3; i++) expect(tokens.verify(forged)).toEqual({ ok: false, reason: 'unauthorized' });
  });
});
