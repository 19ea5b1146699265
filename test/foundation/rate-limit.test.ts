import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../harness/app.js';

const ANON = 3;
const AUTHENTICATED = 5;

/**
 * The global budgets on a public page: anonymous requests share one bucket per address; a request that carries a
 * credential spends that credential's own, larger bucket, named by the credential's hash whatever its length.
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

  it('gives each credential its own larger budget, apart from the address and from other credentials', async () => {
    const one = 'Bearer credential-one';
    expect((await call('10.0.0.4', one)).headers['x-ratelimit-limit']).toBe(String(AUTHENTICATED));
    expect(await limited(AUTHENTICATED - 1, '10.0.0.4', one)).toEqual(Array(AUTHENTICATED - 1).fill(false));
    expect(await limited(1, '10.0.0.5', one)).toEqual([true]);
    expect(await limited(1, '10.0.0.4', 'Bearer credential-two')).toEqual([false]);
    expect(await limited(1, '10.0.0.4')).toEqual([false]);
  });

  it('counts a credential longer than any AgentHub issues in one bucket too (hashed each time, not remembered)', async () => {
    const long = `Bearer ${'x'.repeat(3000)}`;
    expect(await limited(AUTHENTICATED + 1, '10.0.0.6', long)).toEqual([...Array(AUTHENTICATED).fill(false), true]);
    expect(await limited(1, '10.0.0.6', `Bearer ${'y'.repeat(3000)}`)).toEqual([false]);
  });
});
