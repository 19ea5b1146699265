import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startJobs } from '../../src/lib/jobs.js';
import { createJobLock } from '../../src/scale/job-lock.js';
import type { RedisLink } from '../../src/scale/redis.js';
import { REDIS_URL, startFleet, type Fleet, type Instance } from '../harness/fleet.js';
import { until } from '../harness/sockets.js';

describe.runIf(REDIS_URL)('limits and jobs across two instances', () => {
  let fleet: Fleet;
  let a: Instance;
  let b: Instance;

  beforeAll(async () => {
    fleet = await startFleet(2, { RATE_LIMIT_ANON: 4, RATE_LIMIT_PROBES: 4 });
    [a, b] = fleet.instances as [Instance, Instance];
  });
  afterAll(async () => {
    await fleet.close();
  });

  const linkOf = (instance: Instance): RedisLink => {
    if (!instance.ctx.redis) throw new Error('the instance has no Redis link');
    return instance.ctx.redis;
  };

  /** Six requests alternating between the instances, from an address no other request in this file uses. */
  async function spread(url: string, remoteAddress: string): Promise<number[]> {
    const statuses: number[] = [];
    for (const instance of [a, b, a, b, a, b])
      statuses.push((await instance.app.inject({ url, remoteAddress })).statusCode);
    return statuses;
  }

  it('counts requests spread over both instances against one shared limit', async () => {
    const remoteAddress = '192.0.2.44';
    // Each instance saw three requests, under the limit of four on its own: only a shared counter refuses.
    expect(await spread('/openapi.json', remoteAddress)).toEqual([200, 200, 200, 200, 429, 429]);
    const refused = await b.app.inject({ url: '/openapi.json', remoteAddress });
    expect(refused.json()).toMatchObject({ error: 'rate_limited' });
    expect(await fleet.keys()).toContain(`${fleet.prefix}-rl:ip:${remoteAddress}`);
  });

  it("shares the probes' own budget across instances too", async () => {
    expect(await spread('/readyz', '192.0.2.45')).toEqual([200, 200, 200, 200, 429, 429]);
  });

  it('lets exactly one instance win a job tick', async () => {
    const job = `test.claim.${randomBytes(4).toString('hex')}`;
    const claims = await Promise.all([createJobLock(linkOf(a))(job, 60_000), createJobLock(linkOf(b))(job, 60_000)]);
    expect(claims.sort()).toEqual([false, true]);
  });

  it('runs a scheduled job once per tick across both instances, and the survivor carries on alone', async () => {
    const name = `test.tick.${randomBytes(4).toString('hex')}`;
    const runs: string[] = [];
    const attempts = { a: 0, b: 0 };
    const start = (label: 'a' | 'b', instance: Instance) => {
      const lock = createJobLock(linkOf(instance));
      const claim = (job: string, periodMs: number) => {
        attempts[label] += 1;
        return lock(job, periodMs);
      };
      return startJobs([{ name, everyMs: 600, run: () => Promise.resolve(runs.push(label)) }], instance.app.log, claim);
    };
    // Started together, the two timers tick in the same turn of the event loop: both claim every tick.
    const onA = start('a', a);
    const onB = start('b', b);
    try {
      await until('six ticks on each instance', () => attempts.a >= 6 && attempts.b >= 6, 30_000);
      await onA.stop();
      const [ticks, ran] = [Math.max(attempts.a, attempts.b), runs.length];
      // Without the lock every claim would run: twice as many runs as ticks.
      expect(ran).toBeGreaterThan(0);
      expect(ran).toBeLessThanOrEqual(ticks);

      // a stopped: its lock expires and b runs every tick by itself.
      const before = runs.filter((r) => r === 'b').length;
      await until('b running alone', () => runs.filter((r) => r === 'b').length >= before + 3, 30_000);
    } finally {
      await Promise.all([onA.stop(), onB.stop()]);
    }
  }, 60_000);
});
