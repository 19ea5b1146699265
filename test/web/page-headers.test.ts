import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../harness/app.js';
import { createAgentWithToken, signInAdmin, type Person } from '../harness/identity.js';
import { createRoom, createRoomAgent, postMessage } from '../harness/rooms.js';

describe('every page of the web UI', () => {
  let t: TestApp;
  let admin: Person;
  const pages: string[] = ['/dashboard', '/rooms', '/teams', '/admin', '/admin/audit', '/link'];

  beforeAll(async () => {
    t = await createTestApp();
    admin = await signInAdmin(t);
    const { agent } = await createAgentWithToken(t, admin, { serverId: 'srv-headers' });
    const room = await createRoom(t, admin);
    const member = await createRoomAgent(t, admin, { rooms: [room.id] });
    await postMessage(t, member, room.id, 'hello');
    const team = await t.app.inject({
      method: 'POST',
      url: '/api/v1/teams',
      headers: admin.headers,
      payload: { name: 'T' },
    });
    pages.push(`/agents/${agent.id}`, `/rooms/${room.id}`, `/teams/${team.json<{ team: { id: string } }>().team.id}`);
  });
  afterAll(() => t.close());

  it('is sent with the security headers and is never cached', async () => {
    for (const url of pages) {
      const res = await t.app.inject({ url, headers: admin.headers });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type'], url).toContain('text/html');
      expect(res.headers['content-security-policy'], url).toContain("script-src 'self'");
      expect(res.headers['content-security-policy'], url).toContain("frame-ancestors 'none'");
      expect(res.headers['x-content-type-options'], url).toBe('nosniff');
      expect(res.headers['referrer-policy'], url).toBeDefined();
      expect(res.headers['cache-control'], url).toBe('no-store');
    }
  });

  it('carries a CSRF token in every form that changes state, and no inline script', async () => {
    for (const url of pages) {
      const body = (await t.app.inject({ url, headers: admin.headers })).body;
      const forms = body.match(/<form[^>]*method="post"[\s\S]*?<\/form>/g) ?? [];
      for (const form of forms) expect(form, `${url}: ${form.slice(0, 80)}`).toMatch(/name="_csrf" value="[^"]+"/);
      expect(body, url).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    }
  });
});
