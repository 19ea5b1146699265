import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AgentHubClient,
  AgentHubError,
  DeviceFlowDeniedError,
  DeviceFlowExpiredError,
} from '../../src/client/index.js';
import type { UserActor } from '../../src/identity/actor.model.js';
import { startTestServer, type TestApp } from '../harness/app.js';
import { approve, createOwner, recordingFetch } from '../harness/sdk.js';

/** The SDK's side of RFC 8628 against a real server: typed outcomes and the polling contract. */
describe('SDK device flow', () => {
  let t: TestApp & { url: string };
  let owner: UserActor;

  beforeAll(async () => {
    t = await startTestServer({ config: { DEVICE_POLL_INTERVAL: 1 } });
    owner = await createOwner(t);
  });
  afterAll(() => t.close());

  it('throws DeviceFlowDeniedError when the person denies the request', async () => {
    const client = new AgentHubClient({ server: t.url });
    const linking = client.link({
      serverId: 'srv-denied',
      onCode: (a) => void t.ctx.services.devices.deny(a.userCode, owner, '127.0.0.1'),
    });
    await expect(linking).rejects.toBeInstanceOf(DeviceFlowDeniedError);
    await expect(linking).rejects.toMatchObject({ code: 'access_denied' });
    expect(client.tokens).toBeUndefined();
  });

  it('throws DeviceFlowExpiredError when the request expires before approval', async () => {
    const client = new AgentHubClient({ server: t.url });
    // drizzle queries run when awaited: wrap it so onCode can start it.
    const expire = async () => {
      await t.database.db.execute(
        sql`update device_authorizations set expires_at = now() - interval '1 minute'
            where device_name = 'expiring-device'`,
      );
    };
    const linking = client.link({
      deviceName: 'expiring-device',
      serverId: 'srv-expiring',
      onCode: () => void expire(),
    });
    await expect(linking).rejects.toBeInstanceOf(DeviceFlowExpiredError);
    await expect(linking).rejects.toMatchObject({ code: 'expired_token' });
  });

  it('honours slow_down by polling at the longer interval the server asks for', async () => {
    let userCode = '';
    let polled = 0;
    // Approve once the server has said slow_down (the recorder awaits this before the SDK sees the answer).
    const recorder = recordingFetch(async (exchange) => {
      if (exchange.path === '/oauth/token' && ++polled === 2) await approve(t, owner, userCode);
    });
    const client = new AgentHubClient({ server: t.url, fetch: recorder.fetch });
    const authorization = await client.startDeviceFlow({ serverId: 'srv-slow' });
    userCode = authorization.userCode;
    const intervals: number[] = [];
    // A client that ignored the interval would poll at once: the server answers slow_down (+5 s).
    const tokens = await client.pollDeviceFlow(
      { ...authorization, interval: 0 },
      { onPoll: (s) => void intervals.push(s.interval) },
    );
    expect(tokens.refreshToken).toMatch(/^agr_/);
    expect(intervals).toEqual([0, 0, 6]);
    const polls = recorder.exchanges.filter((e) => e.path === '/oauth/token');
    expect(polls.map((e) => e.status)).toEqual([400, 400, 200]);
    // Honoured means it waited the new interval before polling again.
    const [, slowDown, redeemed] = polls;
    expect(redeemed!.sentAt - slowDown!.sentAt).toBeGreaterThanOrEqual(6000 - 50);
  }, 60_000);

  it('stops polling when the request is refused for another reason', async () => {
    const client = new AgentHubClient({ server: t.url });
    const authorization = await client.startDeviceFlow({ serverId: 'srv-unknown' });
    const polling = client.pollDeviceFlow({ ...authorization, deviceCode: 'not-a-device-code' });
    await expect(polling).rejects.toBeInstanceOf(AgentHubError);
    await expect(polling).rejects.toMatchObject({ status: 400, code: 'invalid_grant' });
  });

  it('stops waiting at once when its signal is aborted', async () => {
    const client = new AgentHubClient({ server: t.url });
    const controller = new AbortController();
    const authorization = await client.startDeviceFlow({ serverId: 'srv-cancelled' });
    const polling = client.pollDeviceFlow(
      { ...authorization, interval: 3600 },
      { signal: controller.signal, onPoll: () => setTimeout(() => controller.abort(new Error('cancelled')), 100) },
    );
    await expect(polling).rejects.toThrow('cancelled');
  });
});
