import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../harness/app.js';

describe('identity smoke', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('goes from first run to an agent calling /api/v1/me with a JWT', async () => {
    const link = await t.ctx.services.magicLinks.issueBootstrapLink();
    expect(link).toBeDefined();
    const path = new URL(link!.url).pathname;
    const page = await t.app.inject(path);
    expect(page.statusCode).toBe(200);
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
    const csrfCookie = page.cookies.find((c) => c.name === 'agenthub_csrf')!.value;
    const setup = await t.app.inject({
      method: 'POST',
      url: path,
      headers: { origin: 'http://localhost:3000', cookie: `agenthub_csrf=${csrfCookie}` },
      payload: { _csrf: csrf, email: 'Admin@Example.com', name: 'Ada', password: 'correct horse battery' },
    });
    expect(setup.statusCode).toBe(303);
    const session = setup.cookies.find((c) => c.name === 'agenthub_session')!.value;
    const headers = { cookie: `agenthub_session=${session}`, origin: 'http://localhost:3000' };
    const me = await t.app.inject({ url: '/api/v1/me', headers });
    expect(me.json().user.email).toBe('admin@example.com');

    const agent = await t.app.inject({
      method: 'POST',
      url: '/api/v1/agents',
      headers,
      payload: { name: 'build-01', server_id: 'srv-001' },
    });
    expect(agent.statusCode).toBe(201);
    const token = await t.app.inject({
      method: 'POST',
      url: `/api/v1/agents/${agent.json().agent.id}/tokens`,
      headers,
      payload: {},
    });
    expect(token.statusCode).toBe(201);
    const exchange = await t.app.inject({
      method: 'POST',
      url: '/api/v1/sessions',
      headers: { authorization: `Bearer ${token.json().token}` },
    });
    expect(exchange.statusCode).toBe(200);
    const agentMe = await t.app.inject({
      url: '/api/v1/me',
      headers: { authorization: `Bearer ${exchange.json().token}` },
    });
    expect(agentMe.json()).toEqual({ agent: expect.objectContaining({ server_id: 'srv-001', name: 'build-01' }) });
  });
});
