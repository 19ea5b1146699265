import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../harness/app.js';
import { approveJson } from '../harness/devices.js';
import { createUser, signInAdmin, type Person } from '../harness/identity.js';

/**
 * Issue 25.2: wrong user codes are bounded per address beside the per-person bound, so several accounts behind one
 * address do not multiply the guesses; an IPv6 client counts by its /64 (ADR 0007). Across instances:
 * test/scale/shared-attempt-limits.test.ts.
 */
describe('wrong user codes per address', () => {
  let t: TestApp;
  let admin: Person;

  beforeAll(async () => {
    t = await createTestApp({ config: { RATE_LIMIT_ANON: 10_000 } });
    admin = await signInAdmin(t);
  });
  afterAll(() => t.close());

  it('stops a /64 after 30 wrong codes from 4 accounts and 30 addresses in it; the next /64 still works', async () => {
    const people = await Promise.all([1, 2, 3, 4].map(() => createUser(t, admin, { plan: 'pro' })));
    const statuses: number[] = [];
    for (let n = 0; n < 32; n++) {
      const res = await approveJson(
        t,
        people[n % 4]!,
        { user_code: 'DDDD-DDDD' },
        { remoteAddress: `2001:db8:7:7:${(n + 1).toString(16)}::1` },
      );
      statuses.push(res.statusCode);
    }
    expect(statuses).toEqual([...Array(30).fill(404), 429, 429]);
    const fifth = await createUser(t, admin, { plan: 'pro' });
    expect(
      (await approveJson(t, fifth, { user_code: 'DDDD-DDDD' }, { remoteAddress: '2001:db8:7:7::99' })).statusCode,
    ).toBe(429);
    expect(
      (await approveJson(t, fifth, { user_code: 'DDDD-DDDD' }, { remoteAddress: '2001:db8:7:8::1' })).statusCode,
    ).toBe(404);
  });
});
