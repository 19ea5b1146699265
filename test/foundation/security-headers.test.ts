import helmet from '@fastify/helmet';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helmetOptions } from '../../src/http/security.js';
import { createTestApp, type TestApp } from '../harness/app.js';
import { signInAdmin, type Person } from '../harness/identity.js';

const HELMET_HEADERS = [
  'content-security-policy',
  'cross-origin-opener-policy',
  'cross-origin-resource-policy',
  'origin-agent-cluster',
  'referrer-policy',
  'x-content-type-options',
  'x-dns-prefetch-control',
  'x-download-options',
  'x-frame-options',
  'x-permitted-cross-domain-policies',
  'x-xss-protection',
];

/**
 * The app computes @fastify/helmet's headers once and sets them on every reply (the plugin rebuilds them per
 * request). Every kind of answer must still carry them: JSON, refusals, unknown paths, pages and event streams.
 */
describe('security headers on every kind of response', () => {
  let t: TestApp;
  let admin: Person;

  beforeAll(async () => {
    t = await createTestApp();
    admin = await signInAdmin(t);
  });
  afterAll(() => t.close());

  it('are the headers @fastify/helmet itself sends, with a strict CSP', async () => {
    const res = await t.app.inject({ url: '/healthz' });
    expect(res.statusCode).toBe(200);
    for (const name of HELMET_HEADERS) expect(res.headers[name], name).toBeDefined();
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(res.headers['referrer-policy']).toBe('same-origin');
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it('appear on JSON answers, refusals, unknown paths, pages and event streams alike', async () => {
    const answers = await Promise.all([
      t.app.inject({ url: '/api/v1/agents', headers: admin.headers }),
      t.app.inject({ url: '/api/v1/agents' }),
      t.app.inject({ method: 'POST', url: '/api/v1/metrics', payload: '{' }),
      t.app.inject({ url: '/no-such-page' }),
      t.app.inject({ url: '/dashboard', headers: admin.headers }),
      t.app.inject({ url: '/events?once=1', headers: admin.headers }),
    ]);
    expect(answers.map((r) => r.statusCode)).toEqual([200, 401, 401, 404, 200, 200]);
    expect(answers[5].headers['content-type']).toContain('text/event-stream');
    for (const res of answers)
      for (const name of HELMET_HEADERS) expect(res.headers[name], `${res.statusCode} ${name}`).toBeDefined();
  });

  it('match what the plugin sends when it runs on every request', async () => {
    const reference = Fastify();
    await reference.register(helmet, helmetOptions(t.config));
    reference.get('/healthz', () => ({}));
    const expected = (await reference.inject({ url: '/healthz' })).headers;
    await reference.close();
    const actual = (await t.app.inject({ url: '/healthz' })).headers;
    for (const name of HELMET_HEADERS) expect(actual[name], name).toBe(expected[name]);
    expect(actual['strict-transport-security']).toBeUndefined();
  });
});
