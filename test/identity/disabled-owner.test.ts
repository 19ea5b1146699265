import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestApp } from '../harness/app.js';
import { agentMe, expectOAuthError, linkDevice, refresh } from '../harness/devices.js';
import {
  createAgentWithToken,
  createUser,
  exchange,
  exchangeStatus,
  signIn,
  signInAdmin,
  type Person,
} from '../harness/identity.js';
import { ingest, nowSeconds } from '../harness/metrics.js';
import { eventually } from '../harness/fleet.js';
import { closeAllSockets, connectAgent } from '../harness/sockets.js';

/**
 * Disabling a person suspends the agents they own: every credential of those agents is refused
 * (API tokens, access tokens, refresh tokens) and their live sockets drop, until the person is enabled
 * again. Someone who has left cannot keep acting through tokens they copied, and nothing is destroyed.
 */
describe("a disabled person's agents", () => {
  let t: TestApp & { url: string };
  let admin: Person;
  let owner: Person;
  let stranger: Person;

  beforeAll(async () => {
    t = await startTestServer();
    admin = await signInAdmin(t);
    owner = await createUser(t, admin, { name: 'Leaver', plan: 'enterprise' });
    stranger = await createUser(t, admin, { name: 'Stays', plan: 'enterprise' });
  });
  afterAll(async () => {
    closeAllSockets();
    await t.close();
  });

  const setDisabled = async (person: Person, disabled: boolean) => {
    const res = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/users/${person.id}`,
      headers: admin.headers,
      payload: { disabled },
    });
    expect(res.statusCode).toBe(200);
  };

  it('refuses every credential of their agents and drops their sockets; other people’s agents carry on', async () => {
    const made = await createAgentWithToken(t, admin, { owner, serverId: 'srv-leaver-1' });
    const jwt = await exchange(t, made.token);
    const linked = await linkDevice(t, owner, 'srv-leaver-2');
    const theirs = await createAgentWithToken(t, admin, { owner: stranger, serverId: 'srv-stays' });
    const theirJwt = await exchange(t, theirs.token);
    const socket = await connectAgent(t.url, jwt);

    await setDisabled(owner, true);

    expect(await socket.disconnected).toBe('io server disconnect');
    expect(socket.errors.map((e) => e.error)).toEqual(['revoked']);
    expect(await exchangeStatus(t, made.token)).toBe(401);
    expect(await exchangeStatus(t, linked.apiToken)).toBe(401);
    expect((await agentMe(t, jwt)).statusCode).toBe(401);
    expect((await agentMe(t, linked.accessToken)).statusCode).toBe(401);
    const sample = { server_id: 'srv-leaver-1', timestamp: nowSeconds(), metrics: { cpu: 1 } };
    expect((await ingest(t, jwt, sample)).statusCode).toBe(401);
    expectOAuthError(await refresh(t, linked.refreshToken), 'invalid_grant');

    expect(await exchangeStatus(t, theirs.token)).toBe(200);
    expect((await agentMe(t, theirJwt)).statusCode).toBe(200);
  });

  it('lets the same credentials work again once the person is enabled (nothing was revoked)', async () => {
    const made = await createAgentWithToken(t, admin, { owner, serverId: 'srv-leaver-3' });
    await setDisabled(owner, false);
    // Disabling ended their sessions: they sign in again to approve a device.
    const signedIn = await signIn(t, { email: owner.email, password: owner.password! });
    const linked = await linkDevice(t, signedIn, 'srv-leaver-4');
    const jwt = await exchange(t, made.token);
    await setDisabled(owner, true);
    expect(await exchangeStatus(t, made.token)).toBe(401);

    await setDisabled(owner, false);
    expect(await exchangeStatus(t, made.token)).toBe(200);
    // Access checks are cached for a second per instance: the old access token comes back within that.
    await eventually('the access token accepted again', async () => (await agentMe(t, jwt)).statusCode === 200);
    expect((await refresh(t, linked.refreshToken)).statusCode).toBe(200);
  });
});
