import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import { AppError, crossOrigin, forbidden, unauthorized } from '../../lib/errors.js';
import { accessTokenRefused } from '../credentials.errors.js';
import type { Actor } from '../actor.model.js';
import { verifyCsrf } from './csrf.js';
import type { AuthKind } from '../../http/route-module.js';
import { allowedOrigins } from '../../http/security.js';
import { addressKey } from '../../lib/client-address.js';
import { tooManyAttempts } from '../sessions.errors.js';
import { readSessionCookie } from './session-cookie.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated caller, set by the auth guard from the route's declared auth kinds. */
    actor: Actor | undefined;
    /** True when the actor came from the session cookie (state changes then need a same-origin proof). */
    cookieAuthenticated: boolean;
    /**
     * Names the rate-limit bucket of the credential that verified, even one the route ignores; unset
     * until one has, and then the request spends its address's anonymous bucket (http/rate-limit.ts).
     */
    credentialBucket: string | undefined;
  }
  interface FastifyContextConfig {
    /** Form posts check a CSRF token unless a route opts out (machine endpoints such as /oauth/token). */
    csrf?: boolean;
    /**
     * The route's page is served with `Referrer-Policy: no-referrer`, under which browsers send
     * `Origin: null` with the page's own form post. Such a post is accepted when, and only when, it
     * is a form carrying a valid CSRF token: the token, not the origin, proves it came from our page.
     */
    opaqueOriginForms?: boolean;
    /**
     * The route also takes `Authorization: Token <credential>`, InfluxDB's scheme, which Telegraf and the
     * InfluxDB client libraries send (POST /api/v2/write); it is read exactly as `Bearer`.
     */
    tokenScheme?: boolean;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const BEARER = /^bearer +(.+)$/i;
const TOKEN_OR_BEARER = /^(?:bearer|token) +(.+)$/i;

function isFormPost(request: FastifyRequest): boolean {
  const type = request.headers['content-type'] ?? '';
  return type.startsWith('application/x-www-form-urlencoded') || type.startsWith('multipart/form-data');
}

/**
 * The one place where credentials become an actor. Every route declares the
 * kinds it accepts (config.auth); a credential of another kind is ignored on
 * public routes and refused elsewhere.
 */
export function registerAuthGuard(app: FastifyInstance, ctx: AppContext): void {
  const origins = new Set(allowedOrigins(ctx.config));
  // Refused credentials per address (issue 24.5): a flood of made-up tokens or cookies would otherwise
  // cost a hash and an indexed lookup each, without limit. Past the bound, credentials from the address
  // are refused before they are looked at. Checked on every credentialed request: with Redis, a "not
  // blocked" answer is reused for a second, and each counted failure learns the shared count at once.
  const refusedCredentials = ctx.attemptLimiters({
    name: 'refused-credentials',
    max: ctx.config.AUTH_FAILURES_PER_MINUTE,
    windowMs: 60_000,
    checkCacheMs: 1000,
  });
  app.decorateRequest('actor', undefined);
  app.decorateRequest('cookieAuthenticated', false);
  app.decorateRequest('credentialBucket', undefined);

  app.addHook('onRequest', async (request) => {
    const allowed = request.routeOptions.config.auth;
    if (!allowed) return; // unmatched routes and plugin-served docs
    // Login CSRF: a foreign page could sign a visitor in to the attacker's account (magic link,
    // bodiless or text/plain posts that carry no CSRF token). Browsers name the page in Origin.
    if (!SAFE_METHODS.has(request.method) && request.routeOptions.config.csrf !== false && fromForeignPage(request))
      if (!opaqueOriginForm(request)) throw crossOrigin(); // the CSRF token is checked in preValidation
    const address = addressKey(request.ip);
    if (presentsCredential(request)) {
      const wait = await refusedCredentials.retryAfter(address);
      if (wait) throw tooManyAttempts(wait);
    }
    const attempt: Attempt = { refused: false };
    try {
      request.actor = await resolveActor(request, allowed, attempt);
    } finally {
      if (attempt.refused) await refusedCredentials.hit(address);
    }
    if (request.actor) request.credentialBucket ??= bucketOf(request.actor);
    if (!request.actor) {
      if (allowed.includes('anon')) return;
      throw unauthorized();
    }
    ensureKindAllowed(request.actor, allowed);
    if (request.cookieAuthenticated && !SAFE_METHODS.has(request.method)) ensureSameOrigin(request, origins);
  });

  app.addHook('preValidation', (request, _reply, done) => {
    if (SAFE_METHODS.has(request.method) || request.routeOptions.config.csrf === false || !isFormPost(request)) {
      done();
      return;
    }
    try {
      if (!opaqueOriginForm(request)) ensureSameOrigin(request, origins);
      verifyCsrf(request, ctx.config);
      done();
    } catch (error) {
      done(error as Error);
    }
  });

  /** A browser request sent by another site's page: bearer callers are scripts, not ambient credentials. */
  function fromForeignPage(request: FastifyRequest): boolean {
    const origin = request.headers.origin;
    return origin !== undefined && !origins.has(origin) && request.headers.authorization === undefined;
  }

  /** `Origin: null` on a form post to a route that serves its form under no-referrer (see opaqueOriginForms). */
  function opaqueOriginForm(request: FastifyRequest): boolean {
    return (
      request.routeOptions.config.opaqueOriginForms === true && request.headers.origin === 'null' && isFormPost(request)
    );
  }

  /** The request carries something the guard may verify: a bearer token or a session cookie. */
  function presentsCredential(request: FastifyRequest): boolean {
    return request.headers.authorization !== undefined || readSessionCookie(request, ctx.config) !== undefined;
  }

  /**
   * The actor the route accepts, if any. `attempt.refused` is set when a credential was looked up and
   * refused as made up (unknown session, bad signature or secret): these are what a flood costs. An
   * expired or revoked access token is ours and cheap to refuse (both checks are cached), so it is not.
   */
  async function resolveActor(
    request: FastifyRequest,
    allowed: AuthKind[],
    attempt: Attempt,
  ): Promise<Actor | undefined> {
    const header = request.headers.authorization;
    // The auth scheme is case-insensitive (RFC 9110 §11.1): `bearer x` is as valid as `Bearer x`.
    const scheme = request.routeOptions.config.tokenScheme === true ? TOKEN_OR_BEARER : BEARER;
    const bearer = header ? scheme.exec(header)?.[1]?.trim() : undefined;
    const acceptsAgent = allowed.includes('agent');
    const acceptsApiToken = allowed.includes('api-token');
    if (bearer && (acceptsAgent || acceptsApiToken)) {
      if (bearer.startsWith('agt_')) {
        if (!acceptsApiToken)
          throw unauthorized('API tokens are exchanged at POST /api/v1/sessions for an access token.');
        return apiTokenActor(bearer, request.ip, attempt);
      }
      if (!acceptsAgent) throw unauthorized('This endpoint takes an API token.');
      const result = await accessTokenActor(bearer, attempt);
      if (!result.ok) throw accessTokenRefused(result.reason);
      return result.actor;
    }
    if (header && !allowed.includes('anon')) throw unauthorized('This endpoint does not take a bearer token.');
    const cookie = readSessionCookie(request, ctx.config);
    if (cookie) {
      const actor = await ctx.services.sessions.resolveActor(cookie);
      if (actor) {
        request.cookieAuthenticated = true;
        return actor;
      }
      attempt.refused = true;
    }
    // A bearer token a public route ignores still names the request's rate-limit bucket once it verifies
    // (an agent calling a public route spends its own budget); until then the request spends its address's.
    if (bearer) request.credentialBucket = await ignoredBearerBucket(bearer, request.ip, attempt);
    return undefined;
  }

  async function apiTokenActor(token: string, ip: string, attempt: Attempt) {
    try {
      return await ctx.services.credentials.authenticateApiToken(token, ip);
    } catch (error) {
      if (error instanceof AppError && error.statusCode === 401) attempt.refused = true;
      throw error;
    }
  }

  async function accessTokenActor(token: string, attempt: Attempt) {
    const result = await ctx.services.credentials.authenticateAccessToken(token);
    if (!result.ok && result.reason !== 'token_expired' && !result.revoked) attempt.refused = true;
    return result;
  }

  async function ignoredBearerBucket(token: string, ip: string, attempt: Attempt): Promise<string | undefined> {
    if (token.startsWith('agt_')) {
      const actor = await apiTokenActor(token, ip, attempt).catch(() => undefined);
      return actor && bucketOf(actor);
    }
    const result = await accessTokenActor(token, attempt);
    return result.ok ? bucketOf(result.actor) : undefined;
  }
}

interface Attempt {
  refused: boolean;
}

/** The rate-limit bucket of a verified credential: an agent's credential, a person's session. */
function bucketOf(actor: Actor): string {
  return actor.kind === 'user' ? `session:${actor.sessionId}` : actor.credentialId;
}

function ensureKindAllowed(actor: Actor, allowed: AuthKind[]): void {
  if (actor.kind !== 'user') {
    if (allowed.includes(actor.kind) || allowed.includes('anon')) return;
    throw unauthorized();
  }
  if (allowed.includes('user') || allowed.includes('anon')) return;
  if (allowed.includes('admin')) {
    if (actor.user.role === 'admin') return;
    throw forbidden('Administrators only.');
  }
  throw unauthorized('This endpoint is for agents.');
}

/** Cookie-authenticated state changes must come from our own pages (Origin, else Referer). */
function ensureSameOrigin(request: FastifyRequest, origins: Set<string>): void {
  const origin = request.headers.origin;
  if (origin !== undefined) {
    if (origins.has(origin)) return;
    throw crossOrigin();
  }
  const referer = request.headers.referer;
  if (referer) {
    try {
      if (origins.has(new URL(referer).origin)) return;
    } catch {
      // malformed Referer: refused below
    }
  }
  throw crossOrigin();
}
