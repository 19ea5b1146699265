import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../harness/app.js';
import { createDirectAgent } from '../harness/direct-agents.js';
import { bearer, signInAdmin } from '../harness/identity.js';

const ANON = 3;
const AUTHENTICATED = 5;

/**
 * The global budgets: anonymous requests share one bucket per address; a request whose credential verified spends
 * that credential's own, larger bucket. A credential that did not verify (or that the route ignores) names no
 * bucket: the request spends its address's (issue 25).
 */
describe('global rate limits', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ config: { RATE_LIMIT_ANON: ANON, RATE_LIMIT_AUTHENTICATED: AUTHENTICATED } });
  });
  afterAll(() => t.close());

  const call = (remoteAddress: string, authorization?: string) =>
    t.app.inject({ url: '/', remoteAddress, headers: authorization ? { authorization } : {} });

  /** For each of `times` calls: was it refused with 429? */
  async function limited(times: number, remoteAddress: string, authorization?: string) {
    const refused: boolean[] = [];
    for (let i = 0; i < times; i++) refused.push((await call(remoteAddress, authorization)).statusCode === 429);
    return refused;
  }

  it('gives anonymous callers the smaller budget per address', async () => {
    expect((await call('10.0.0.2')).headers['x-ratelimit-limit']).toBe(String(ANON));
    expect(await limited(ANON, '10.0.0.2')).toEqual([false, false, true]);
    expect(await limited(1, '10.0.0.3')).toEqual([false]);
  });

  it('gives each verified credential its own larger budget, apart from the address and from other credentials', async () => {
    const admin = await signInAdmin(t);
    const [one, two] = [await createDirectAgent(t, admin), await createDirectAgent(t, admin)];
    const me = (remoteAddress: string, token?: string) =>
      t.app.inject({ url: '/api/v1/me', remoteAddress, headers: token ? bearer(token) : {} });
    const first = await me('10.0.0.4', one.accessToken);
    expect(first.statusCode).toBe(200);
    expect(first.headers['x-ratelimit-limit']).toBe(String(AUTHENTICATED));
    for (let i = 1; i < AUTHENTICATED; i++) expect((await me('10.0.0.4', one.accessToken)).statusCode).toBe(200);
    // The same credential from another address spends the same bucket.
    expect((await me('10.0.0.5', one.accessToken)).statusCode).toBe(429);
    expect((await me('10.0.0.4', two.accessToken)).statusCode).toBe(200);
    expect(await limited(1, '10.0.0.4')).toEqual([false]);
  });

  it("gives a made-up credential, whatever its length, no budget of its own: it spends its address's", async () => {
    const junk = (n: number) => `Bearer ${String(n).repeat(n === 0 ? 1 : 3000)}`;
    const refused: boolean[] = [];
    for (let n = 0; n <= ANON; n++) refused.push((await call('10.0.0.6', junk(n))).statusCode === 429);
    expect(refused).toEqual([...Array(ANON).fill(false), true]);
    expect(await limited(1, '10.0.0.6', 'Bearer credential-two')).toEqual([true]);
  });
});
