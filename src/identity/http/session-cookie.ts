import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config.js';

/** `__Host-` prefixed (and Secure) when PUBLIC_URL is https: no subdomain can set or read it. */
export function sessionCookieName(config: Config): string {
  return config.secureCookies ? '__Host-agenthub_session' : 'agenthub_session';
}

export function readSessionCookie(request: FastifyRequest, config: Config): string | undefined {
  return request.cookies[sessionCookieName(config)];
}

export function setSessionCookie(
  reply: FastifyReply,
  config: Config,
  session: { token: string; expiresAt: Date },
): void {
  reply.setCookie(sessionCookieName(config), session.token, {
    httpOnly: true,
    sameSite: 'lax',
    secure: config.secureCookies,
    path: '/',
    expires: session.expiresAt,
  });
}

export function clearSessionCookie(reply: FastifyReply, config: Config): void {
  reply.clearCookie(sessionCookieName(config), {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: config.secureCookies,
  });
}
