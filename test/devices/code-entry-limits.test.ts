import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../harness/app.js';
import { approveJson, openLink, registerDevice } from '../harness/devices.js';
import { createUser, signInAdmin, type Person } from '../harness/identity.js';

/** Well-formed codes that no request holds (the alphabet has no vowels, so these never collide by chance here). */
const WRONG_CODES = ['BBBB-BBBB', 'cccc-cccc', 'DDDD DDDD', 'FFFFFFFF', 'AEIO-U123', 'too-short'];

describe('rate limits on entering user codes', () => {
  let t: TestApp;
  let admin: Person;
  let serial = 0;

  async function freshCode(): Promise<string> {
    serial += 1;
    const grant = await registerDevice(t, { device_name: 'box', device_info: { server_id: `srv-limit-${serial}` } });
    return grant.user_code;
  }

  /** One wrong code entered by `person` from `ip`, alternating the page, the JSON approve and the JSON deny. */
  async function wrongAttempt(person: Person, ip: string, n: number): Promise<LightMyRequestResponse> {
    const code = WRONG_CODES[n % WRONG_CODES.length] ?? 'BBBB-BBBB';
    if (n % 3 === 0) return (await openLink(t, person, code, { remoteAddress: ip })).confirm;
    if (n % 3 === 1) return approveJson(t, person, { user_code: code }, { remoteAddress: ip });
    return t.app.inject({
      method: 'POST',
      url: '/api/v1/agent-link/deny',
      headers: person.headers,
      payload: { user_code: code },
      remoteAddress: ip,
    });
  }

  function expectLimited(res: LightMyRequestResponse) {
    expect(res.statusCode).toBe(429);
    const retryAfter = Number(res.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);
  }

  beforeAll(async () => {
    t = await createTestApp({ config: { RATE_LIMIT_ANON: 10_000 } });
    admin = await signInAdmin(t);
  });
  afterAll(() => t.close());

  it('answers 429 on the page and the JSON approve after 10 wrong codes from one person, even for a correct code', async () => {
    const guesser = await createUser(t, admin, { plan: 'pro' });
    for (let n = 0; n < 10; n++) {
      const res = await wrongAttempt(guesser, `192.0.2.${n + 1}`, n);
      expect(res.statusCode, `attempt ${n + 1}`).toBe(404);
    }
    const code = await freshCode();
    expectLimited(await approveJson(t, guesser, { user_code: code }, { remoteAddress: '192.0.2.99' }));
    const page = (await openLink(t, guesser, code, { remoteAddress: '192.0.2.98' })).confirm;
    expectLimited(page);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('Too many wrong codes');

    // Another person is not affected, and the code is still good.
    const other = await createUser(t, admin, { plan: 'pro' });
    expect((await approveJson(t, other, { user_code: code })).statusCode).toBe(200);
  });

  it('answers 429 after 30 wrong codes from one address, whoever types them, while other addresses still work', async () => {
    const ip = '203.0.113.77';
    const people = await Promise.all([1, 2, 3, 4, 5].map(() => createUser(t, admin, { plan: 'pro' })));
    let n = 0;
    for (const person of people.slice(0, 4))
      for (let i = 0; i < 8 && n < 30; i++, n++) {
        const res = await wrongAttempt(person, ip, n);
        expect(res.statusCode, `attempt ${n + 1}`).toBe(404);
      }
    expect(n).toBe(30);

    const fifth = people[4]!;
    const code = await freshCode();
    expectLimited(await approveJson(t, fifth, { user_code: code }, { remoteAddress: ip }));
    expectLimited((await openLink(t, fifth, code, { remoteAddress: ip })).confirm);
    // The same person from elsewhere is fine: they have made no wrong attempts themselves.
    expect((await approveJson(t, fifth, { user_code: code }, { remoteAddress: '203.0.113.78' })).statusCode).toBe(200);
  });
});
