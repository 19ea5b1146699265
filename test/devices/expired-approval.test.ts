import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../harness/app.js';
import {
  approveJson,
  expectOAuthError,
  pollStatus,
  pollToken,
  registerDevice,
  requestDeviceCode,
  type DeviceGrant,
} from '../harness/devices.js';
import { createUser, signInAdmin, waitForAudit, type Person } from '../harness/identity.js';
import { queryRows } from '../harness/sql.js';

/**
 * Issue 24, item 6 (ADR 0015): a device code approved but not redeemed before its expires_at answers
 * expired_token on both front doors, and the agent created at approval does not stay behind as an active
 * orphan holding a plan slot and a server_id: it is deactivated, with the reason in the audit log.
 */
describe('an approved device code redeemed after it expired', () => {
  let t: TestApp;
  let admin: Person;

  beforeAll(async () => {
    // One agent per free-plan person: an orphan left active would refuse the next link.
    t = await createTestApp({ config: { DEVICE_POLL_INTERVAL: 1, PLAN_LIMIT_FREE: 1 } });
    admin = await signInAdmin(t);
  });
  afterAll(() => t.close());

  async function expire(grant: DeviceGrant): Promise<void> {
    await t.database.db.execute(
      sql`update device_authorizations set expires_at = ${new Date(Date.now() - 1000).toISOString()} where user_code = ${grant.user_code.replace('-', '')}`,
    );
  }
  async function requestStatus(grant: DeviceGrant): Promise<string | undefined> {
    const [row] = await queryRows<{ status: string }>(
      t.database.db,
      sql`select status from device_authorizations where user_code = ${grant.user_code.replace('-', '')}`,
    );
    return row?.status;
  }
  async function agentStatus(agentId: string): Promise<string | undefined> {
    const [row] = await queryRows<{ status: string }>(
      t.database.db,
      sql`select status from agents where id = ${agentId}`,
    );
    return row?.status;
  }
  async function credentialsOf(agentId: string): Promise<number> {
    const [row] = await queryRows<{ n: number }>(
      t.database.db,
      sql`select count(*)::int as n from credentials where agent_id = ${agentId}`,
    );
    return row?.n ?? 0;
  }
  async function approve(owner: Person, grant: DeviceGrant): Promise<string> {
    const res = await approveJson(t, owner, { user_code: grant.user_code });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<{ agent_id: string }>().agent_id;
  }
  /** The owner can link again: the expired link holds neither their plan slot nor the server_id. */
  async function expectSlotFreed(owner: Person, serverId: string): Promise<void> {
    const again = await registerDevice(t, { device_name: 'again', device_info: { server_id: serverId } });
    const agentId = await approve(owner, again);
    expect(await agentStatus(agentId)).toBe('approved');
  }
  async function expectDeactivated(agentId: string, grant: DeviceGrant): Promise<void> {
    expect(await agentStatus(agentId)).toBe('inactive');
    expect(await requestStatus(grant)).toBe('expired');
    expect(await credentialsOf(agentId)).toBe(0);
    const event = await waitForAudit(t, admin, 'type=agent.deactivated', (e) => e.subject_id === agentId);
    expect(event).toMatchObject({ actor_type: 'system', payload: { reason: 'device_code_expired' } });
  }

  it('answers expired_token on the RFC 8628 grant, every time, and deactivates the agent made at approval', async () => {
    const owner = await createUser(t, admin);
    const grant = await requestDeviceCode(t, { device_name: 'late-oauth', server_id: 'srv-late-oauth' });
    const agentId = await approve(owner, grant);
    await expire(grant);

    expectOAuthError(await pollToken(t, grant.device_code), 'expired_token');
    expectOAuthError(await pollToken(t, grant.device_code), 'expired_token');
    await expectDeactivated(agentId, grant);
    await expectSlotFreed(owner, 'srv-late-oauth');
  });

  it('answers 410 expired_token on the JSON polling endpoint, every time, and deactivates the agent', async () => {
    const owner = await createUser(t, admin);
    const grant = await registerDevice(t, { device_name: 'late-json', device_info: { server_id: 'srv-late-json' } });
    const agentId = await approve(owner, grant);
    await expire(grant);

    for (let i = 0; i < 2; i++) {
      const res = await pollStatus(t, grant.device_code);
      expect(res.statusCode).toBe(410);
      expect(res.json()).toMatchObject({ status: 'expired', error: 'expired_token' });
      expect(res.body).not.toMatch(/access_token|api_token|refresh_token/);
    }
    await expectDeactivated(agentId, grant);
    await expectSlotFreed(owner, 'srv-late-json');
  });

  it('deactivates the agent in the cleanup job when the device never polls again, and then answers expired_token', async () => {
    const owner = await createUser(t, admin);
    const grant = await registerDevice(t, { device_name: 'gone', device_info: { server_id: 'srv-gone' } });
    const agentId = await approve(owner, grant);
    await expire(grant);

    await t.ctx.services.devices.cleanup(new Date());
    await expectDeactivated(agentId, grant);
    const res = await pollStatus(t, grant.device_code);
    expect(res.statusCode).toBe(410);
    await expectSlotFreed(owner, 'srv-gone');
  });

  it('still redeems an approved code before its expiry, once', async () => {
    const owner = await createUser(t, admin);
    const grant = await requestDeviceCode(t, { device_name: 'on-time' });
    const agentId = await approve(owner, grant);
    const res = await pollToken(t, grant.device_code);
    expect(res.statusCode, res.body).toBe(200);
    expect(await agentStatus(agentId)).toBe('approved');
    expect(await requestStatus(grant)).toBe('redeemed');
  });
});
