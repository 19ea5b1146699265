import { sql } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { RouteModule } from '../../src/http/route-module.js';
import { createTestApp, type TestApp } from '../harness/app.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Routes that fail on purpose, so every branch of the error handler can be reached. */
const failingRoutes: RouteModule = (app, ctx) => {
  const anon = { auth: ['anon' as const] };
  app.post('/test/echo', { config: anon }, (request) => ({ received: request.body }));
  app.post(
    '/test/validated',
    {
      config: anon,
      schema: {
        body: z.object({ name: z.string().min(3), count: z.number().int() }),
        querystring: z.object({ limit: z.coerce.number().int().max(100).optional() }),
      },
    },
    (request) => ({ ok: true, name: request.body.name }),
  );
  app.get('/test/boom', { config: anon }, () => {
    throw new Error('secret internal detail: password=hunter2 at /srv/app/db.ts:42');
  });
  app.get('/test/bad-sql', { config: anon }, async () => {
    await ctx.database.db.execute(sql`select secret_column from no_such_table where id = ${'x'}`);
    return { ok: true };
  });
  // A value the database refuses (here a NUL byte in text: SQLSTATE 22021 on both drivers).
  app.get('/test/nul/:value', { config: anon }, async (request) => {
    const { value } = request.params as { value: string };
    await ctx.database.db.execute(sql`select count(*) from users where name = ${value}`);
    return { ok: true };
  });
  // The database's own "insufficient resources" errors (class 53): a full disk, too many connections.
  app.get('/test/disk-full', { config: anon }, async () => {
    await ctx.database.db.execute(
      sql.raw(`do $$ begin raise exception 'could not extend file (test)' using errcode = 'disk_full'; end $$`),
    );
    return { ok: true };
  });
  app.get('/test/db', { config: anon }, async () => {
    await ctx.database.db.execute(sql`select count(*) from users`);
    return { ok: true };
  });
};

/** API.md: no response ever carries a stack trace or SQL text. */
function expectNoLeak(res: LightMyRequestResponse): void {
  expect(res.body).not.toMatch(/stack/i);
  expect(res.body).not.toMatch(/\b(select|insert|update|delete)\b.*\b(from|into|set)\b/i);
  expect(res.body).not.toMatch(/no_such_table|secret_column|hunter2|\.ts:\d+/);
}

interface Envelope {
  error: string;
  message: string;
  request_id: string;
  [field: string]: unknown;
}

function expectEnvelope(res: LightMyRequestResponse, status: number, error: string): Envelope {
  expect(res.statusCode).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const body = res.json<Envelope>();
  expect(body).toMatchObject({ error, message: expect.any(String), request_id: res.headers['x-request-id'] });
  expect(body.message.length).toBeGreaterThan(0);
  expectNoLeak(res);
  return body;
}

describe('the error envelope', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ config: { BODY_LIMIT_BYTES: 2048 }, extraRoutes: [failingRoutes] });
  });
  afterAll(() => t.close());

  it('answers an unknown route with 404 not_found, a request id and an x-request-id header', async () => {
    const res = await t.app.inject('/no/such/route?x=1');
    const body = expectEnvelope(res, 404, 'not_found');
    expect(body.request_id).toMatch(UUID);
    expect(body.message).toBe('Route GET /no/such/route not found.');
  });

  it('echoes a well-formed client x-request-id in the header and the body', async () => {
    const res = await t.app.inject({ url: '/no/such/route', headers: { 'x-request-id': 'client-req.42:a_b' } });
    expect(res.headers['x-request-id']).toBe('client-req.42:a_b');
    expect(res.json().request_id).toBe('client-req.42:a_b');
  });

  it('replaces a malformed or oversized x-request-id with a fresh uuid', async () => {
    for (const given of ['bad id with spaces', '<script>', 'x'.repeat(65), 'a\u00e9b']) {
      const res = await t.app.inject({ url: '/no/such/route', headers: { 'x-request-id': given } });
      expect(res.headers['x-request-id']).toMatch(UUID);
      expect(res.json().request_id).toBe(res.headers['x-request-id']);
    }
  });

  it('sends x-request-id on successful responses too', async () => {
    const res = await t.app.inject('/healthz');
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-request-id']).toMatch(UUID);
  });

  it('answers a malformed JSON body with 400 invalid_request', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/test/echo',
      headers: { 'content-type': 'application/json' },
      payload: '{"name": "abc",',
    });
    expectEnvelope(res, 400, 'invalid_request');
  });

  it('answers an empty JSON body with 400 invalid_request', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/test/echo',
      headers: { 'content-type': 'application/json' },
      payload: '',
    });
    expectEnvelope(res, 400, 'invalid_request');
  });

  it('accepts a body at the limit and refuses one over BODY_LIMIT_BYTES with 413 payload_too_large', async () => {
    const fits = JSON.stringify({ pad: 'x'.repeat(2000) });
    expect(Buffer.byteLength(fits)).toBeLessThanOrEqual(2048);
    const ok = await t.app.inject({ method: 'POST', url: '/test/echo', payload: JSON.parse(fits) as object });
    expect(ok.statusCode).toBe(200);

    const res = await t.app.inject({ method: 'POST', url: '/test/echo', payload: { pad: 'x'.repeat(4096) } });
    expectEnvelope(res, 413, 'payload_too_large');
  });

  it('answers an unsupported content type with 415', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/test/echo',
      headers: { 'content-type': 'application/x-unknown' },
      payload: 'abc',
    });
    expectEnvelope(res, 415, 'unsupported_media_type');
  });

  it('answers a Zod validation failure with 400 and one {path, message} per problem', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/test/validated', payload: { name: 'ab', count: 1.5 } });
    const body = expectEnvelope(res, 400, 'invalid_request');
    expect(body.details).toEqual(
      expect.arrayContaining([
        { path: 'body.name', message: expect.any(String) },
        { path: 'body.count', message: expect.any(String) },
      ]),
    );
    expect(body.details).toHaveLength(2);
  });

  it('names the querystring in validation details of query parameters', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/test/validated?limit=1000',
      payload: { name: 'abc', count: 1 },
    });
    const body = expectEnvelope(res, 400, 'invalid_request');
    expect(body.details).toEqual([{ path: 'querystring.limit', message: expect.any(String) }]);
  });

  it('lets a valid request through the validated route', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/test/validated', payload: { name: 'abc', count: 2 } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ok: true, name: 'abc' });
  });

  it('answers an unexpected Error with 500 internal_error and neither its text nor a stack', async () => {
    const res = await t.app.inject('/test/boom');
    const body = expectEnvelope(res, 500, 'internal_error');
    expect(Object.keys(body).sort()).toEqual(['error', 'message', 'request_id']);
    expect(body.message).toBe('Internal server error.');
  });

  it('answers a failing SQL query with 500 internal_error and no SQL text', async () => {
    const res = await t.app.inject('/test/bad-sql');
    const body = expectEnvelope(res, 500, 'internal_error');
    expect(body.message).toBe('Internal server error.');
  });
});

describe('the error envelope when the database is gone', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ extraRoutes: [failingRoutes] });
  });
  afterAll(() => t.close());

  it('answers a value the database refuses (a NUL byte in a path parameter) with 400, not a 500', async () => {
    const res = await t.app.inject('/test/nul/a%00b');
    expectEnvelope(res, 400, 'invalid_request');
    expectNoLeak(res);
  });

  it('answers a full disk (SQLSTATE 53100) with 503 unavailable and Retry-After, not a 500', async () => {
    const res = await t.app.inject('/test/disk-full');
    const body = expectEnvelope(res, 503, 'unavailable');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(body.message).not.toMatch(/extend/);
  });

  it('answers a query after the database closed with 503 unavailable and Retry-After', async () => {
    expect((await t.app.inject('/test/db')).statusCode).toBe(200);
    await t.database.close();

    const res = await t.app.inject('/test/db');
    const body = expectEnvelope(res, 503, 'unavailable');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(body.message).toMatch(/database/i);
  });
});
