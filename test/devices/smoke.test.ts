import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../harness/app.js';

describe('device flow smoke', () => {
  let t: TestApp;
  let headers: Record<string, string>;
  beforeAll(async () => {
    t = await createTestApp({ config: { DEVICE_POLL_INTERVAL: 1 } });
    const { user } = await t.ctx.services.users.create({
      email: 'owner@example.com',
      name: 'Owner',
      password: 'a-long-password',
    });
    expect(user.id).toBeTruthy();
    const login = await t.app.inject({
      method: 'POST',
      url: '/login',
      payload: { email: 'owner@example.com', password: 'a-long-password' },
    });
    headers = {
      cookie: `agenthub_session=${login.cookies.find((c) => c.name === 'agenthub_session')!.value}`,
      origin: 'http://localhost:3000',
    };
  });
  afterAll(() => t.close());

  it('registers over OAuth, is approved over JSON, and redeems tokens exactly once', async () => {
    const start = await t.app.inject({
      method: 'POST',
      url: '/oauth/device_authorization',
      payload: 'client_id=cli&device_name=web-01&server_id=srv-web-01',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(start.statusCode).toBe(200);
    const { device_code, user_code } = start.json();
    expect(user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    const poll = () =>
      t.app.inject({
        method: 'POST',
        url: '/oauth/token',
        payload: `grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&device_code=${device_code}&client_id=cli`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
    const first = await poll();
    expect(first.statusCode).toBe(400);
    expect(first.json().error).toBe('authorization_pending');
    expect((await poll()).json().error).toBe('slow_down');
    const approve = await t.app.inject({
      method: 'POST',
      url: '/api/v1/agent-link/approve',
      headers,
      payload: { user_code: user_code.toLowerCase().replace('-', ' ') },
    });
    expect(approve.statusCode).toBe(200);
    const tokens = await poll();
    expect(tokens.statusCode).toBe(200);
    expect(tokens.headers['cache-control']).toBe('no-store');
    const body = tokens.json();
    expect(body.token_type).toBe('Bearer');
    const me = await t.app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${body.access_token}` } });
    expect(me.json().agent.server_id).toBe('srv-web-01');
    const refreshed = await t.app.inject({
      method: 'POST',
      url: '/oauth/token',
      payload: `grant_type=refresh_token&refresh_token=${body.refresh_token}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-device-fingerprint': 'fp-1' },
    });
    expect(refreshed.statusCode).toBe(200);
    expect(refreshed.json().refresh_token).not.toBe(body.refresh_token);
    const again = await poll();
    expect(again.json().error).toBe('invalid_grant');
    const revoked = await t.app.inject({
      url: '/api/v1/me',
      headers: { authorization: `Bearer ${refreshed.json().access_token}` },
    });
    expect(revoked.statusCode).toBe(401);
  });
});
