import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressKey } from '../../src/lib/client-address.js';
import { createTestApp, type TestApp } from '../harness/app.js';
import { createDirectAgent, type DirectAgent } from '../harness/direct-agents.js';
import { bearer, signInAdmin, type Person } from '../harness/identity.js';
import { queryRows } from '../harness/sql.js';

const ANON = 20;
const FAILURES = 100;
const random = () => randomBytes(12).toString('hex');

/** Every kind of made-up credential a request can carry. */
const forgeries: Record<string, () => { headers?: Record<string, string>; cookies?: Record<string, string> }> = {
  'junk bearer': () => ({ headers: bearer(`junk${random()}`) }),
  'random agt_ token': () => ({ headers: bearer(`agt_${random().slice(0, 8)}_${random()}${random()}`) }),
  'random session cookie': () => ({ cookies: { agenthub_session: random() } }),
  'bearer and cookie': () => ({ headers: bearer(`junk${random()}`), cookies: { agenthub_session: random() } }),
};

/**
 * Issue 25.1 and 24.5: an unverified credential never selects a rate-limit bucket (until the auth guard has
 * verified one, a request spends its address's anonymous budget), and refused credentials are counted per
 * address (IPv6 per /64), answered 429 with Retry-After past AUTH_FAILURES_PER_MINUTE.
 */
describe('made-up credentials', () => {
  let t: TestApp;
  let admin: Person;
  let agent: DirectAgent;
  let serial = 0;
  const address = () => `198.18.${Math.floor(++serial / 250)}.${serial % 250}`;

  beforeAll(async () => {
    t = await createTestApp({ config: { RATE_LIMIT_ANON: ANON, AUTH_FAILURES_PER_MINUTE: FAILURES } });
    admin = await signInAdmin(t);
    agent = await createDirectAgent(t, admin);
  });
  afterAll(() => t.close());

  const status = (remoteAddress: string, extra: ReturnType<(typeof forgeries)[string]> = {}) =>
    t.app.inject({ url: `/api/v1/agents/status?device_code=${random()}`, remoteAddress, ...extra });
  const register = (remoteAddress: string, extra: ReturnType<(typeof forgeries)[string]> = {}) =>
    t.app.inject({
      method: 'POST',
      url: '/api/v1/agents/register',
      remoteAddress,
      payload: { device_name: 'box', device_info: { server_id: `srv-${random()}` } },
      ...extra,
    });
  const deviceCodes = async () =>
    Number(
      (await queryRows<{ n: number }>(t.database.db, sql`select count(*)::int as n from device_authorizations`))[0]?.n,
    );

  async function spendAnonymousBudget(remoteAddress: string): Promise<void> {
    for (let i = 0; i < ANON; i++) expect((await status(remoteAddress)).statusCode).toBe(404);
    const refused = await status(remoteAddress);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['x-ratelimit-remaining']).toBe('0');
  }

  for (const [kind, forge] of Object.entries(forgeries))
    it(`lets no ${kind} through once the address's anonymous budget is spent`, async () => {
      const from = address();
      await spendAnonymousBudget(from);
      const statuses = new Set<number>();
      for (let i = 0; i < 60; i++) {
        const res = await status(from, forge());
        statuses.add(res.statusCode);
        expect(res.headers['x-ratelimit-limit'] ?? String(ANON)).toBe(String(ANON));
      }
      expect([...statuses]).toEqual([429]);
    });

  it('creates no device code for 120 registrations with random cookies from a spent address', async () => {
    const from = address();
    await spendAnonymousBudget(from);
    const before = await deviceCodes();
    const statuses = new Set<number>();
    for (let i = 0; i < 120; i++)
      statuses.add((await register(from, forgeries['random session cookie']!())).statusCode);
    expect([...statuses]).toEqual([429]);
    expect(await deviceCodes()).toBe(before);
  });

  it('still lets a verified credential spend its own budget from a spent address', async () => {
    const from = address();
    await spendAnonymousBudget(from);
    const res = await t.app.inject({ url: '/api/v1/me', remoteAddress: from, headers: bearer(agent.accessToken) });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-ratelimit-limit']).toBe(String(t.config.RATE_LIMIT_AUTHENTICATED));
    expect((await status(from)).statusCode).toBe(429);
  });

  async function flood(from: string, count: number): Promise<LightMyRequestResponse[]> {
    const answers: LightMyRequestResponse[] = [];
    for (let i = 0; i < count; i++)
      answers.push(await t.app.inject({ url: '/api/v1/me', remoteAddress: from, headers: bearer(`junk${random()}`) }));
    return answers;
  }

  it('answers 429 with Retry-After to an address past the bound of refused credentials', async () => {
    const from = address();
    const answers = await flood(from, 150);
    const statuses = answers.map((a) => a.statusCode);
    expect(statuses.slice(0, FAILURES)).toEqual(Array(FAILURES).fill(401));
    expect(statuses.slice(FAILURES)).toEqual(Array(150 - FAILURES).fill(429));
    const last = answers.at(-1)!;
    expect(last.json()).toMatchObject({ error: 'rate_limited' });
    const retryAfter = Number(last.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);

    // Past the bound, credentials from the address are refused before they are looked at, valid ones too;
    // requests without one still spend the anonymous budget, and other addresses are not affected.
    const valid = await t.app.inject({ url: '/api/v1/me', remoteAddress: from, headers: bearer(agent.accessToken) });
    expect(valid.statusCode).toBe(429);
    expect((await t.app.inject({ url: '/api/v1/me', remoteAddress: from })).statusCode).toBe(401);
    expect((await status(from)).statusCode).toBe(404);
    const elsewhere = await t.app.inject({
      url: '/api/v1/me',
      remoteAddress: address(),
      headers: bearer(agent.accessToken),
    });
    expect(elsewhere.statusCode).toBe(200);
  });

  it('counts random session cookies and agt_ tokens as refused credentials too', async () => {
    const from = address();
    const statuses: number[] = [];
    for (let i = 0; i < FAILURES + 5; i++) {
      const forged = i % 2 === 0 ? forgeries['random session cookie']!() : forgeries['junk bearer']!();
      statuses.push((await t.app.inject({ url: '/api/v1/me', remoteAddress: from, ...forged })).statusCode);
    }
    expect(statuses.slice(0, FAILURES)).toEqual(Array(FAILURES).fill(401));
    expect(new Set(statuses.slice(FAILURES))).toEqual(new Set([429]));
  });

  it('groups IPv6 addresses by /64, for the anonymous budget and for refused credentials', async () => {
    await spendAnonymousBudget('2001:db8:25:1::1');
    expect((await status('2001:db8:25:1:ffff:ffff:ffff:fffe')).statusCode).toBe(429);
    expect((await status('2001:db8:25:1:abcd::7', forgeries['junk bearer']!())).statusCode).toBe(429);
    expect((await status('2001:db8:25:2::1')).statusCode).toBe(404);

    for (let i = 0; i < FAILURES; i++)
      await t.app.inject({
        url: '/api/v1/me',
        remoteAddress: `2001:db8:25:3:${(i + 1).toString(16)}::1`,
        headers: bearer(`junk${random()}`),
      });
    const next = await t.app.inject({
      url: '/api/v1/me',
      remoteAddress: '2001:db8:25:3::beef',
      headers: bearer(agent.accessToken),
    });
    expect(next.statusCode).toBe(429);
    const neighbour = await t.app.inject({
      url: '/api/v1/me',
      remoteAddress: '2001:db8:25:4::beef',
      headers: bearer(agent.accessToken),
    });
    expect(neighbour.statusCode).toBe(200);
  });
});

describe('made-up credentials behind a trusted proxy', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ config: { RATE_LIMIT_ANON: 3, TRUST_PROXY: true } });
  });
  afterAll(() => t.close());

  it("counts the client's /64 from X-Forwarded-For, whatever credential each request makes up", async () => {
    const from = (client: string, authorization?: string) =>
      t.app.inject({
        url: '/',
        remoteAddress: '10.1.1.1',
        headers: { 'x-forwarded-for': client, ...(authorization ? { authorization } : {}) },
      });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++)
      statuses.push((await from(`2001:db8:99:1::${i + 1}`, `Bearer junk${random()}`)).statusCode);
    expect(statuses).toEqual([303, 303, 303, 429, 429]);
    expect((await from('2001:db8:99:2::1')).statusCode).toBe(303);
  });
});

describe('addressKey', () => {
  it('is the address for IPv4, the /64 for IPv6, and the IPv4 address for IPv4-mapped IPv6', () => {
    expect(addressKey('192.0.2.7')).toBe('192.0.2.7');
    expect(addressKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(addressKey('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:0DB8:0001:0002::9')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressKey('2001:db8:1:2::1.2.3.4')).toBe('2001:db8:1:2::/64');
    expect(addressKey(undefined)).toBe('unknown');
  });
});
