import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../harness/app.js';
import {
  bearer,
  createAgentWithToken,
  exchange,
  signInAdmin,
  type AgentWithToken,
  type Person,
} from '../harness/identity.js';

const payloadOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

/** Issue 25.3: tokens signed with the real key but carrying claims AgentHub never issued. */
describe('access JWTs with forged claims, signed with the real key', () => {
  let t: TestApp;
  let admin: Person;
  let one: AgentWithToken;
  let two: AgentWithToken;
  let genuine: string;
  let other: string;

  beforeAll(async () => {
    t = await createTestApp();
    admin = await signInAdmin(t);
    one = await createAgentWithToken(t, admin, { serverId: 'srv-forge-1' });
    two = await createAgentWithToken(t, admin, { serverId: 'srv-forge-2' });
    genuine = await exchange(t, one.token);
    other = await exchange(t, two.token);
  });
  afterAll(() => t.close());

  function forge(overrides: Record<string, unknown>): string {
    const now = Math.floor(Date.now() / 1000);
    return jwt.sign(
      { ...payloadOf(genuine), iat: now, exp: now + 900, jti: randomUUID(), ...overrides },
      t.config.jwtSecret,
      {
        algorithm: 'HS256',
        header: { alg: 'HS256', typ: 'at+jwt' },
      },
    );
  }
  const me = (token: string) => t.app.inject({ url: '/api/v1/me', headers: bearer(token) });

  it("accepts the forger's baseline (genuine claims, fresh jti), so each refusal below is its claim's", async () => {
    expect((await me(forge({}))).statusCode).toBe(200);
  });

  it('refuses an exp beyond the configured lifetime (10 years)', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect((await me(forge({ exp: now + 10 * 365 * 86400 }))).statusCode).toBe(401);
    expect((await me(forge({ exp: now + t.config.ACCESS_TOKEN_TTL + 30 }))).statusCode).toBe(200);
  });

  it('refuses an iat in the future beyond the skew', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect((await me(forge({ iat: now + 3600, exp: now + 3900 }))).statusCode).toBe(401);
  });

  it("refuses one agent's credential under another agent's sub", async () => {
    expect((await me(forge({ sub: two.agent.id }))).statusCode).toBe(401);
    expect((await me(forge({ cid: payloadOf(other)['cid'] }))).statusCode).toBe(401);
  });

  it('takes server_id, role, owner and team from the stored agent, not the token', async () => {
    const res = await me(forge({ server_id: 'srv-forge-2', role: 'admin', owner: randomUUID(), team: randomUUID() }));
    expect(res.statusCode).toBe(200);
    expect(JSON.stringify(res.json())).toContain('srv-forge-1');
    expect(JSON.stringify(res.json())).not.toContain('srv-forge-2');
  });

  it('does not post metrics as another server with a forged server_id', async () => {
    const forged = forge({ server_id: 'srv-forge-2' });
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/metrics',
      headers: bearer(forged),
      payload: { server_id: 'srv-forge-2', timestamp: new Date().toISOString(), metrics: { cpu_percent: 1 } },
    });
    expect(res.statusCode).not.toBe(202);
    expect(res.statusCode).toBeLessThan(500);
  });
});
