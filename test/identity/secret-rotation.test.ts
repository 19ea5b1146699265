import { describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../harness/app.js';
import { createTestDatabase } from '../harness/database.js';
import { agentMe, linkDevice, refresh } from '../harness/devices.js';
import { formBody, openForm, signInAdmin } from '../harness/identity.js';
import type { Config } from '../../src/config.js';

const OLD = {
  jwtSecret: 'old-jwt-secret-0123456789abcdefghijklmnopq',
  cookieSecret: 'old-pepper-0123456789abcdefghijklmnopqrstu',
};
const NEW = {
  jwtSecret: 'new-jwt-secret-0123456789abcdefghijklmnopq',
  cookieSecret: 'new-pepper-0123456789abcdefghijklmnopqrstu',
};

// Rotating JWT_SECRET and COOKIE_SECRET (docs/RUNBOOK.md): restart with the new secrets and the old ones as
// *_PREVIOUS_SECRET, so nothing issued before is refused; drop the previous ones once the old tokens have aged out.
describe('secret rotation across a restart', () => {
  it('keeps old access JWTs, refresh tokens and open forms working during a rotation, and only then', async () => {
    const database = await createTestDatabase();
    const start = (config: Partial<Config>) => createTestApp({ database, config });
    let app: TestApp | undefined;
    try {
      app = await start(OLD);
      const admin = await signInAdmin(app);
      const linked = await linkDevice(app, admin, 'rotation-1');
      const second = await linkDevice(app, admin, 'rotation-2');
      const form = await openForm(app, '/login');
      await app.close();

      app = await start({ ...NEW, JWT_PREVIOUS_SECRET: OLD.jwtSecret, COOKIE_PREVIOUS_SECRET: OLD.cookieSecret });
      expect((await agentMe(app, linked.accessToken)).statusCode).toBe(200);
      const refreshed = await refresh(app, linked.refreshToken);
      expect(refreshed.statusCode, refreshed.body).toBe(200);
      const pair = refreshed.json<{ access_token: string; refresh_token: string }>();
      // A sign-in form rendered under the old pepper still posts (a wrong password answers 401, not a CSRF 403).
      const body = formBody({ _csrf: form.csrf, email: admin.email, password: 'not-the-password' });
      const posted = await app.app.inject({
        method: 'POST',
        url: '/login',
        headers: { ...body.headers, cookie: form.cookie, origin: 'http://localhost:3000' },
        payload: body.payload,
      });
      expect(posted.statusCode).toBe(401);
      // The person's browser session does not depend on either secret.
      expect((await app.app.inject({ url: '/api/v1/me', headers: admin.headers })).statusCode).toBe(200);
      await app.close();

      app = await start(NEW);
      // Issued after the rotation: valid with the new secrets alone.
      expect((await agentMe(app, pair.access_token)).statusCode).toBe(200);
      expect((await refresh(app, pair.refresh_token)).statusCode).toBe(200);
      // Issued before it and never renewed: refused once the previous secrets are gone.
      expect((await agentMe(app, second.accessToken)).statusCode).toBe(401);
      expect((await refresh(app, second.refreshToken)).statusCode).toBe(400);
    } finally {
      await app?.close();
      await database.close();
    }
  });
});
