import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REVOCATION_CACHE_MS } from '../../src/identity/credentials.service.js';
import { createTestApp, type TestApp } from '../harness/app.js';
import { linkDevice, refresh, type TokenResponse } from '../harness/devices.js';
import { createUser, signInAdmin, uniqueEmail, type Person } from '../harness/identity.js';
import { createIngestingAgent, ingest, nowSeconds, scrape, type IngestingAgent } from '../harness/metrics.js';
import { queryRows } from '../harness/sql.js';

const pastTheBound = () => new Promise((resolve) => setTimeout(resolve, REVOCATION_CACHE_MS + 100));

/**
 * Access-token checks are remembered until the database's validity epoch moves (migration 0003): any change to
 * what a check answers, made by any instance or by hand in SQL, is seen within REVOCATION_CACHE_MS, and a fleet
 * in its steady state costs one read per instance per second, not one per agent.
 */
describe('the credential validity epoch', () => {
  let t: TestApp;
  let admin: Person;
  let owner: Person;
  let seq = 0;

  beforeAll(async () => {
    t = await createTestApp({ config: { DEVICE_POLL_INTERVAL: 1 } });
    admin = await signInAdmin(t);
    owner = await createUser(t, admin, { email: uniqueEmail('epoch') });
  });
  afterAll(() => t.close());

  const epoch = async () =>
    Number(
      (await queryRows<{ value: string }>(t.database.db, sql`select value from credential_validity_epoch`))[0]?.value,
    );
  const send = (a: IngestingAgent, jwt = a.jwt) =>
    ingest(t, jwt, { server_id: a.serverId, timestamp: nowSeconds() - 60 + ++seq / 1000, metrics: { n: seq } });
  const lookups = async () => (await scrape(t, 'agenthub_credential_checks_total')).get('{result="looked_up"}') ?? 0;

  it.each([
    [
      'the agent is suspended',
      (a: IngestingAgent) => sql`update agents set status = 'suspended' where id = ${a.agent.id}`,
    ],
    [
      'its credential is revoked',
      (a: IngestingAgent) =>
        sql`update credentials set revoked_at = now(), revoked_reason = 'manual' where agent_id = ${a.agent.id}`,
    ],
    ['its owner is disabled', () => sql`update users set disabled_at = now() where id = ${owner.id}`],
    ['the agent is deleted', (a: IngestingAgent) => sql`delete from agents where id = ${a.agent.id}`],
  ])(
    'refuses a remembered token within the bound when %s in SQL, with no event to tell this instance',
    async (_, change) => {
      const agent = await createIngestingAgent(t, admin, { owner });
      expect((await send(agent)).statusCode).toBe(200); // remembered now
      const before = await epoch();
      await t.database.db.execute(change(agent));
      expect(await epoch()).toBeGreaterThan(before);
      await pastTheBound();
      expect((await send(agent)).statusCode).toBe(401);
      await t.database.db.execute(sql`update users set disabled_at = null where id = ${owner.id}`);
    },
  );

  it('does not move for a refresh rotation, ingestion, last-seen updates or a rename to the same name', async () => {
    const linked = await linkDevice(t, owner, 'srv-epoch-rotate');
    const before = await epoch();
    const res = await refresh(t, linked.refreshToken);
    expect(res.statusCode, res.body).toBe(200);
    const rotated = res.json<TokenResponse>();
    expect(rotated.refresh_token).not.toBe(linked.refreshToken);
    const agent = await createIngestingAgent(t, admin, { owner });
    const afterCreate = await epoch();
    expect((await send(agent)).statusCode).toBe(200);
    await t.database.db.execute(sql`update agents set last_seen_at = now(), name = name where id = ${agent.agent.id}`);
    expect(await epoch()).toBe(afterCreate);
    expect(afterCreate).toBe(before);
  });

  it('looks each credential up once while nothing changes, however many requests and seconds pass', async () => {
    const fleet = await Promise.all(Array.from({ length: 20 }, () => createIngestingAgent(t, admin, { owner })));
    for (const agent of fleet) expect((await send(agent)).statusCode).toBe(200);
    const first = await lookups();
    for (let round = 0; round < 3; round++) {
      await pastTheBound();
      for (const agent of fleet) expect((await send(agent)).statusCode).toBe(200);
    }
    expect(await lookups()).toBe(first);
  });
});
