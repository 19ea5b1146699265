import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config.js';
import { constantTimeEqual, hmacSha256, randomToken } from '../../lib/crypto.js';
import { csrfFailed } from '../../lib/errors.js';

const FIELD = '_csrf';

function cookieName(config: Config): string {
  return config.secureCookies ? '__Host-agenthub_csrf' : 'agenthub_csrf';
}

/**
 * The token to embed in a form: an HMAC of a per-browser random cookie, so a
 * cross-site page can neither read nor forge it. Sets the cookie when missing.
 */
export function csrfToken(request: FastifyRequest, reply: FastifyReply, config: Config): string {
  let seed = request.cookies[cookieName(config)];
  if (!seed) {
    seed = randomToken(32);
    reply.setCookie(cookieName(config), seed, {
      httpOnly: true,
      sameSite: 'lax',
      secure: config.secureCookies,
      path: '/',
    });
    // Later reads in the same request (several forms on one page) see the same seed.
    request.cookies[cookieName(config)] = seed;
  }
  return hmacSha256(config.cookieSecret, `csrf:${seed}`);
}

export function verifyCsrf(request: FastifyRequest, config: Config): void {
  const seed = request.cookies[cookieName(config)];
  const body = request.body as Record<string, unknown> | undefined;
  const given = typeof body?.[FIELD] === 'string' ? body[FIELD] : request.headers['x-csrf-token'];
  // A form rendered before a COOKIE_SECRET rotation still posts during it.
  const peppers = [config.cookieSecret, ...(config.COOKIE_PREVIOUS_SECRET ? [config.COOKIE_PREVIOUS_SECRET] : [])];
  if (
    !seed ||
    typeof given !== 'string' ||
    !peppers.some((pepper) => constantTimeEqual(given, hmacSha256(pepper, `csrf:${seed}`)))
  ) {
    throw csrfFailed();
  }
}

export const CSRF_FIELD = FIELD;
