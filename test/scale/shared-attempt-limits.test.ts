import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../harness/app.js';
import { approveJson } from '../harness/devices.js';
import { REDIS_URL, startFleet, type Fleet, type Instance } from '../harness/fleet.js';
import { bearer, createAgentWithToken, createUser, PASSWORD, signInAdmin, type Person } from '../harness/identity.js';

const FAILURES = 10;
const random = () => randomBytes(12).toString('hex');
let serial = 0;
const address = () => `198.19.${Math.floor(++serial / 250)}.${serial % 250}`;

const wrongLogin = (on: TestApp, email: string) =>
  on.app.inject({
    method: 'POST',
    url: '/login',
    payload: { email, password: 'wrong password!' },
    remoteAddress: address(),
  });
/** A well-formed API token whose secret is not the one issued. */
const wrongSecret = (token: string) => `${token.slice(0, 11)}${'x'.repeat(43)}`;
const exchangeFrom = (on: TestApp, token: string, remoteAddress = address()) =>
  on.app.inject({ method: 'POST', url: '/api/v1/sessions', headers: bearer(token), remoteAddress });

/** Issue 24.4: with REDIS_URL the failed-attempt limits are one per fleet, not one per instance. */
describe.runIf(REDIS_URL)('failed-attempt limits across two instances', () => {
  let fleet: Fleet;
  let a: Instance;
  let b: Instance;
  let admin: Person;

  beforeAll(async () => {
    fleet = await startFleet(2, { RATE_LIMIT_ANON: 10_000, AUTH_FAILURES_PER_MINUTE: FAILURES });
    [a, b] = fleet.instances as [Instance, Instance];
    admin = await signInAdmin(a);
  });
  afterAll(() => fleet.close());

  /** The statuses of `count` attempts alternating between the instances. */
  async function alternate(count: number, attempt: (on: Instance, n: number) => Promise<{ statusCode: number }>) {
    const statuses: number[] = [];
    for (let n = 0; n < count; n++) statuses.push((await attempt(n % 2 === 0 ? a : b, n)).statusCode);
    return statuses;
  }

  it('locks an account after 5 failed passwords in all, spread over both instances', async () => {
    const person = await createUser(a, admin);
    const statuses = await alternate(7, (on) => wrongLogin(on, person.email));
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
    // The right password is refused too, on either instance, until the window ends.
    for (const on of [a, b]) {
      const res = await on.app.inject({
        method: 'POST',
        url: '/login',
        payload: { email: person.email, password: PASSWORD },
        remoteAddress: address(),
      });
      expect(res.statusCode).toBe(429);
    }
  });

  it('blocks an API-token prefix after 10 wrong secrets in all, spread over both instances', async () => {
    const { token } = await createAgentWithToken(a, admin);
    expect(await alternate(12, (on) => exchangeFrom(on, wrongSecret(token)))).toEqual([
      ...Array(10).fill(401),
      429,
      429,
    ]);
    expect((await exchangeFrom(b, token)).statusCode).toBe(429);
  });

  it('stops a person after 10 wrong user codes in all, spread over both instances', async () => {
    const guesser = await createUser(a, admin, { plan: 'pro' });
    const statuses = await alternate(12, (on) =>
      approveJson(on, guesser, { user_code: 'BBBB-BBBB' }, { remoteAddress: address() }),
    );
    expect(statuses).toEqual([...Array(10).fill(404), 429, 429]);
  });

  it('stops an address after 30 wrong user codes in all, whoever types them, spread over both instances', async () => {
    const people = await Promise.all([1, 2, 3, 4].map(() => createUser(a, admin, { plan: 'pro' })));
    const ip = address();
    const statuses = await alternate(32, (on, n) =>
      approveJson(on, people[Math.floor(n / 8)]!, { user_code: 'CCCC-CCCC' }, { remoteAddress: ip }),
    );
    expect(statuses).toEqual([...Array(30).fill(404), 429, 429]);
  });

  it('counts refused credentials from one address against one bound for the fleet', async () => {
    const from = address();
    const statuses = await alternate(3 * FAILURES, (on) =>
      on.app.inject({ url: '/api/v1/me', remoteAddress: from, headers: bearer(`junk${random()}`) }),
    );
    const passed = statuses.filter((s) => s === 401).length;
    // One instance may pass one more before it learns the other crossed the bound (ADR 0011): never 2×.
    expect(passed).toBeGreaterThanOrEqual(FAILURES);
    expect(passed).toBeLessThanOrEqual(FAILURES + 1);
    expect(statuses.slice(-FAILURES)).toEqual(Array(FAILURES).fill(429));
  });
});

/** Issue 24.4 and ADR 0011: with REDIS_URL set but Redis unreachable, limits apply per instance, never not at all. */
describe('limits while Redis is unreachable', () => {
  let t: TestApp;
  let admin: Person;

  beforeAll(async () => {
    // Nothing listens on port 1: the instance starts, Redis never becomes ready.
    t = await createTestApp({ config: { REDIS_URL: 'redis://127.0.0.1:1', RATE_LIMIT_ANON: 5 } });
    admin = await signInAdmin(t);
    expect(t.ctx.redis?.up).toBe(false);
  });
  afterAll(() => t.close());

  it('still applies the HTTP rate limit, in process', async () => {
    const from = address();
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await t.app.inject({ url: '/', remoteAddress: from })).statusCode);
    expect(statuses).toEqual([303, 303, 303, 303, 303, 429, 429]);
  });

  it('still locks an account after 5 failed passwords, in process', async () => {
    const person = await createUser(t, admin);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await wrongLogin(t, person.email)).statusCode);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
  });

  it('still blocks an API-token prefix after 10 wrong secrets, in process', async () => {
    const { token } = await createAgentWithToken(t, admin);
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await exchangeFrom(t, wrongSecret(token))).statusCode);
    expect(statuses).toEqual([...Array(10).fill(401), 429]);
  });
});
