import { sql } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../harness/app.js';
import { DEVICE_CODE_GRANT, expectOAuthError, pollStatus, postForm, refresh } from '../harness/devices.js';
import { queryRows } from '../harness/sql.js';

function nested(depth: number): unknown {
  return depth === 0 ? 'leaf' : { child: nested(depth - 1) };
}

describe('validation of device-linking input', () => {
  let t: TestApp;

  async function requestCount(): Promise<number> {
    const [row] = await queryRows<{ n: number | string }>(
      t.database.db,
      sql`select count(*) as n from device_authorizations`,
    );
    return Number(row?.n);
  }

  function register(payload: unknown): Promise<LightMyRequestResponse> {
    return t.app.inject({
      method: 'POST',
      url: '/api/v1/agents/register',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(payload),
    });
  }

  beforeAll(async () => {
    t = await createTestApp({ config: { RATE_LIMIT_ANON: 10_000 } });
  });
  afterAll(() => t.close());

  it('refuses a JSON registration without server_id or with a server_id shorter than 3 characters', async () => {
    for (const body of [
      { device_name: 'box' },
      { device_name: 'box', device_info: {} },
      { device_name: 'box', device_info: { hostname: 'box' } },
      { device_name: 'box', device_info: { server_id: '' } },
      { device_name: 'box', device_info: { server_id: 'ab' } },
      { device_name: 'box', device_info: { server_id: 42 } },
      { device_name: '', device_info: { server_id: 'srv-ok-01' } },
      { device_info: { server_id: 'srv-ok-01' } },
    ]) {
      const res = await register(body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json()).toMatchObject({ error: 'invalid_request', details: expect.any(Array) });
    }
    expect((await register({ device_name: 'box', device_info: { server_id: 'abc' } })).statusCode).toBe(200);
    expect(await requestCount()).toBe(1);
  });

  it('refuses hostile device_info (huge, nested, not an object, too many keys) and stores nothing', async () => {
    const before = await requestCount();
    const manyKeys = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, 'v']));
    const hostile: unknown[] = [
      { server_id: 'srv-hostile', blob: 'x'.repeat(100_000) },
      {
        server_id: 'srv-hostile',
        a: 'x'.repeat(500),
        b: 'x'.repeat(500),
        c: 'x'.repeat(500),
        d: 'x'.repeat(500),
        e: 'x'.repeat(500),
        f: 'x'.repeat(500),
        g: 'x'.repeat(500),
        h: 'x'.repeat(500),
        i: 'x'.repeat(500),
      },
      { server_id: 'srv-hostile', nested: nested(50) },
      { server_id: 'srv-hostile', list: [1, 2, 3] },
      { server_id: 'srv-hostile', ...manyKeys },
      { server_id: 'srv-hostile', ['k'.repeat(100)]: 'long key' },
      'srv-hostile',
      ['srv-hostile'],
      null,
      42,
    ];
    for (const info of hostile) {
      const res = await register({ device_name: 'box', device_info: info });
      expect(res.statusCode, JSON.stringify(info).slice(0, 80)).toBe(400);
      expect(res.json()).toMatchObject({ error: 'invalid_request' });
    }
    const proto = await t.app.inject({
      method: 'POST',
      url: '/api/v1/agents/register',
      headers: { 'content-type': 'application/json' },
      payload: '{"device_name":"box","device_info":{"server_id":"srv-hostile","__proto__":{"admin":true}}}',
    });
    expect(proto.statusCode).toBe(400);

    // The same limits apply to device_info sent as JSON text to the RFC 8628 endpoint.
    for (const info of ['{not json', JSON.stringify(nested(20)), JSON.stringify(manyKeys), '"text"', '[]']) {
      const res = await postForm(t, '/oauth/device_authorization', { client_id: 'cli', device_info: info });
      expectOAuthError(res, 'invalid_request');
    }
    expect(await requestCount()).toBe(before);
  });

  it('answers the RFC 8628 endpoint with OAuth errors for a missing or malformed client_id, scope, server_id or oversized fields', async () => {
    const before = await requestCount();
    expectOAuthError(await postForm(t, '/oauth/device_authorization', {}), 'invalid_client');
    expectOAuthError(await postForm(t, '/oauth/device_authorization', { client_id: 'a b<c>' }), 'invalid_client');
    expectOAuthError(
      await postForm(t, '/oauth/device_authorization', { client_id: 'cli', scope: 'read <script>' }),
      'invalid_request',
    );
    expectOAuthError(
      await postForm(t, '/oauth/device_authorization', { client_id: 'cli', server_id: 'ab' }),
      'invalid_request',
    );
    const oversized: Record<string, string>[] = [
      { client_id: 'c'.repeat(5000) },
      { client_id: 'cli', device_info: JSON.stringify({ server_id: 'srv-x', blob: 'x'.repeat(20_000) }) },
      { client_id: 'cli', device_name: 'n'.repeat(2000) },
    ];
    for (const fields of oversized)
      expectOAuthError(await postForm(t, '/oauth/device_authorization', fields), 'invalid_request');
    const noBody = await t.app.inject({ method: 'POST', url: '/oauth/device_authorization' });
    expectOAuthError(noBody, 'invalid_request');
    expect(await requestCount()).toBe(before);
  });

  it('answers garbage grant types, device codes and refresh tokens with OAuth errors, never a 500', async () => {
    const cases: [Record<string, string> | string, string][] = [
      [{}, 'invalid_request'],
      [{ grant_type: 'password', username: 'a', password: 'b' }, 'unsupported_grant_type'],
      [{ grant_type: 'authorization_code', code: 'x' }, 'unsupported_grant_type'],
      [{ grant_type: 'g'.repeat(5000) }, 'invalid_request'],
      [{ grant_type: DEVICE_CODE_GRANT }, 'invalid_request'],
      [{ grant_type: DEVICE_CODE_GRANT, device_code: 'not-a-code' }, 'invalid_client'],
      [{ grant_type: DEVICE_CODE_GRANT, device_code: 'not-a-code', client_id: 'agenthub-cli' }, 'invalid_grant'],
      [{ grant_type: DEVICE_CODE_GRANT, device_code: '☃💥\u0000', client_id: 'agenthub-cli' }, 'invalid_grant'],
      [{ grant_type: DEVICE_CODE_GRANT, device_code: 'A'.repeat(43), client_id: 'agenthub-cli' }, 'invalid_grant'],
      [{ grant_type: DEVICE_CODE_GRANT, device_code: 'x'.repeat(10_000) }, 'invalid_request'],
      [`grant_type=${encodeURIComponent(DEVICE_CODE_GRANT)}&device_code=a&device_code=b`, 'invalid_request'],
      [{ grant_type: 'refresh_token' }, 'invalid_request'],
      [{ grant_type: 'refresh_token', refresh_token: 'agr_' }, 'invalid_grant'],
      [{ grant_type: 'refresh_token', refresh_token: `agr_${'A'.repeat(16)}_${'B'.repeat(43)}` }, 'invalid_grant'],
      [{ grant_type: 'refresh_token', refresh_token: `agt_${'A'.repeat(6)}_${'B'.repeat(43)}` }, 'invalid_grant'],
      [{ grant_type: 'refresh_token', refresh_token: "' or 1=1 --" }, 'invalid_grant'],
      [{ grant_type: 'refresh_token', refresh_token: 'r'.repeat(10_000) }, 'invalid_request'],
    ];
    for (const [fields, error] of cases) {
      const res =
        typeof fields === 'string'
          ? await t.app.inject({
              method: 'POST',
              url: '/oauth/token',
              headers: { 'content-type': 'application/x-www-form-urlencoded' },
              payload: fields,
            })
          : await postForm(t, '/oauth/token', fields);
      expectOAuthError(res, error);
    }
    expectOAuthError(await t.app.inject({ method: 'POST', url: '/oauth/token' }), 'invalid_request');
    const json = await t.app.inject({
      method: 'POST',
      url: '/oauth/token',
      payload: { grant_type: DEVICE_CODE_GRANT, device_code: { $ne: null } },
    });
    expectOAuthError(json, 'invalid_request');
    const text = await t.app.inject({
      method: 'POST',
      url: '/oauth/token',
      headers: { 'content-type': 'text/plain' },
      payload: 'grant_type=refresh_token',
    });
    expectOAuthError(text, 'invalid_request');
    expectOAuthError(await refresh(t, 'agr_x', 'f'.repeat(10_000)), 'invalid_grant');
  });

  it('answers an unknown device code on the JSON status endpoint with 404, and a missing one with 400', async () => {
    const unknown = await pollStatus(t, 'not-a-code');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ error: 'not_found' });
    const missing = await t.app.inject({ url: '/api/v1/agents/status' });
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toMatchObject({ error: 'invalid_request' });
  });
});
