import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../harness/app.js';
import { createAgentWithToken, exchangeStatus, issueToken, signInAdmin, type Person } from '../harness/identity.js';
import { scrape } from '../harness/rooms.js';
import { queryRows } from '../harness/sql.js';

/**
 * An agt_ API token sent on every call (MCP clients with a static header) is verified with argon2id
 * once, then remembered by its SHA-256 for a few minutes; revocation, expiry and deactivation still
 * end it at the next call.
 */
describe('remembered API token checks', () => {
  let t: TestApp;
  let admin: Person;

  beforeAll(async () => {
    t = await createTestApp();
    admin = await signInAdmin(t);
  });
  afterAll(() => t.close());

  const checks = async () => {
    const found = await scrape(t, 'agenthub_api_token_checks_total');
    return {
      verified: found.get('{result="verified"}') ?? 0,
      remembered: found.get('{result="remembered"}') ?? 0,
    };
  };
  const failures = async () =>
    (await scrape(t, 'agenthub_auth_attempts_total')).get('{kind="token_exchange",result="failure"}') ?? 0;

  it('hashes a token once, then answers from memory, and still records when it was last used', async () => {
    const { token, credentialId } = await createAgentWithToken(t, admin);
    const before = await checks();
    for (let i = 0; i < 4; i++) expect(await exchangeStatus(t, token)).toBe(200);
    const after = await checks();
    expect(after.verified - before.verified).toBe(1);
    expect(after.remembered - before.remembered).toBe(3);
    const [row] = await queryRows<{ used: Date | null }>(
      t.database.db,
      sql`select last_used_at as used from credentials where id = ${credentialId}`,
    );
    expect(row?.used).not.toBeNull();
  });

  it('refuses a remembered token at its next use once it is revoked', async () => {
    const { token, prefix } = await createAgentWithToken(t, admin);
    expect(await exchangeStatus(t, token)).toBe(200);
    const res = await t.app.inject({ method: 'DELETE', url: `/api/v1/tokens/${prefix}`, headers: admin.headers });
    expect(res.statusCode).toBe(204);
    expect(await exchangeStatus(t, token)).toBe(401);
  });

  it("refuses a remembered token at its next use once its agent is deactivated, and the agent's others too", async () => {
    const first = await createAgentWithToken(t, admin);
    const second = await issueToken(t, admin, first.agent.id);
    for (const token of [first.token, second.token]) expect(await exchangeStatus(t, token)).toBe(200);
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/agents/${first.agent.id}/deactivate`,
      headers: admin.headers,
    });
    expect(res.statusCode).toBe(200);
    for (const token of [first.token, second.token]) expect(await exchangeStatus(t, token)).toBe(401);
  });

  it('refuses a remembered token once its expires_at has passed', async () => {
    const { agent } = await createAgentWithToken(t, admin);
    const expiresAt = new Date(Date.now() + 1500);
    const { token } = await issueToken(t, admin, agent.id, { expiresAt });
    expect(await exchangeStatus(t, token)).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, expiresAt.getTime() - Date.now() + 50));
    expect(await exchangeStatus(t, token)).toBe(401);
  });

  it('remembers only the exact token: a wrong secret behind a remembered prefix is hashed, refused and counted', async () => {
    const { token } = await createAgentWithToken(t, admin);
    expect(await exchangeStatus(t, token)).toBe(200);
    const last = token.at(-1) === 'A' ? 'B' : 'A';
    const before = await failures();
    expect(await exchangeStatus(t, token.slice(0, -1) + last)).toBe(401);
    expect((await failures()) - before).toBe(1);
    expect(await exchangeStatus(t, token)).toBe(200);
  });
});
