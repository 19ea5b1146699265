import { sql } from 'drizzle-orm';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestApp } from '../harness/app.js';
import { approveJson } from '../harness/devices.js';
import { createUser, signInAdmin, type Person } from '../harness/identity.js';
import { queryRows } from '../harness/sql.js';

describe('a standard OAuth client (openid-client v6) against a listening server', () => {
  let t: TestApp & { url: string };
  let owner: Person;
  let config: client.Configuration;

  /** Resolves once the client has polled the request at least once (so it has seen authorization_pending). */
  async function polledOnce(userCode: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const [row] = await queryRows<{ last_polled_at: unknown }>(
        t.database.db,
        sql`select last_polled_at from device_authorizations where user_code = ${userCode.replace('-', '')}`,
      );
      if (row?.last_polled_at) return;
      if (Date.now() > deadline) throw new Error('the client never polled');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async function me(accessToken: string): Promise<Response> {
    return fetch(`${t.url}/api/v1/me`, { headers: { authorization: `Bearer ${accessToken}` } });
  }

  beforeAll(async () => {
    t = await startTestServer({ config: { DEVICE_POLL_INTERVAL: 1 } });
    const admin = await signInAdmin(t);
    owner = await createUser(t, admin);
    config = new client.Configuration(
      {
        issuer: t.url,
        device_authorization_endpoint: `${t.url}/oauth/device_authorization`,
        token_endpoint: `${t.url}/oauth/token`,
      },
      'agenthub-cli',
      undefined,
      client.None(),
    );
    // openid-client refuses plain http:// unless told otherwise; the test server has no TLS.
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- "deprecated" only to flag it for tests like this
    client.allowInsecureRequests(config);
  });
  afterAll(() => t.close());

  it('completes the device flow unchanged: initiate, wait through authorization_pending, receive the tokens, refresh them', async () => {
    const started = await client.initiateDeviceAuthorization(config, {
      scope: 'metrics:write',
      device_name: 'oidc box',
      server_id: 'srv-oidc-01',
    });
    expect(started.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    expect(started.interval).toBe(1);

    const polling = client.pollDeviceAuthorizationGrant(config, started, undefined, {
      signal: AbortSignal.timeout(20_000),
    });
    await polledOnce(started.user_code);
    const approved = await approveJson(t, owner, { user_code: started.user_code });
    expect(approved.statusCode).toBe(200);
    const tokens = await polling;

    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect(tokens.expires_in).toBe(900);
    expect(tokens.scope).toBe('metrics:write');
    expect(tokens.id_token).toBeUndefined();
    expect(tokens.refresh_token).toMatch(/^agr_/);
    const agent = await me(tokens.access_token);
    expect(agent.status).toBe(200);
    expect(await agent.json()).toEqual({
      agent: expect.objectContaining({ server_id: 'srv-oidc-01', owner_id: owner.id }),
    });

    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token ?? '');
    expect(refreshed.refresh_token).toMatch(/^agr_/);
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    expect(refreshed.scope).toBe('metrics:write');
    expect((await me(refreshed.access_token)).status).toBe(200);
  });

  it('rejects the poll with access_denied when the person denies', async () => {
    const started = await client.initiateDeviceAuthorization(config, { server_id: 'srv-oidc-02' });
    const polling = client.pollDeviceAuthorizationGrant(config, started, undefined, {
      signal: AbortSignal.timeout(20_000),
    });
    const outcome = polling.then(
      () => undefined,
      (error: unknown) => error,
    );
    await polledOnce(started.user_code);
    const denied = await t.app.inject({
      method: 'POST',
      url: '/api/v1/agent-link/deny',
      headers: owner.headers,
      payload: { user_code: started.user_code },
    });
    expect(denied.statusCode).toBe(200);
    const error = await outcome;
    expect(error).toBeInstanceOf(client.ResponseBodyError);
    expect(error).toMatchObject({ error: 'access_denied', status: 400 });
  });
});
