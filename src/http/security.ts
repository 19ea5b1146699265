import cors from '@fastify/cors';
import helmet, { type FastifyHelmetOptions } from '@fastify/helmet';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Config } from '../config.js';

/** Security headers on every response and CORS limited to ALLOWED_ORIGINS. */
export async function registerSecurity(app: FastifyInstance, config: Config): Promise<void> {
  const headers = await helmetHeaders(helmetOptions(config));
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(headers);
    done();
  });
  const allowed = new Set(allowedOrigins(config));
  await app.register(cors, {
    origin: (origin, cb) => cb(null, origin !== undefined && allowed.has(origin)),
    credentials: true,
    methods: ['GET', 'POST', 'PATCH', 'PUT', 'DELETE'],
  });
}

/** PUBLIC_URL's origin plus ALLOWED_ORIGINS: the origins trusted for CORS and same-origin checks. */
export function allowedOrigins(config: Config): string[] {
  return [new URL(config.publicUrl).origin, ...config.ALLOWED_ORIGINS];
}

/** The options @fastify/helmet is given (exported so a test can run the plugin per request and compare). */
export function helmetOptions(config: Config): FastifyHelmetOptions {
  return {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        baseUri: ["'self'"],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        imgSrc: ["'self'", 'data:'],
        objectSrc: ["'none'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        ...(config.secureCookies ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    referrerPolicy: { policy: 'same-origin' },
    crossOriginEmbedderPolicy: false,
    hsts: config.secureCookies,
  };
}

/** What a bare reply carries without helmet: not part of the security headers. */
const BASE_HEADERS = new Set(['content-type', 'content-length', 'date', 'connection', 'keep-alive']);

/**
 * The headers @fastify/helmet sets, computed once. The plugin builds helmet's middleware again on every
 * request (its onRequest hook calls `helmet(options)` each time), which cost about a third of the CPU of a
 * small authenticated JSON request (docs/BENCHMARKS.md). Our headers do not depend on the request (no CSP
 * nonces), so the plugin answers one request on a throwaway instance and the app sets that answer's
 * headers on every reply: the same headers, from the same plugin and options, at the cost of one assignment.
 */
async function helmetHeaders(options: FastifyHelmetOptions): Promise<Record<string, string>> {
  const probe = Fastify();
  try {
    await probe.register(helmet, options);
    probe.get('/', () => '');
    const response = await probe.inject('/');
    return Object.fromEntries(
      Object.entries(response.headers)
        .filter(([name]) => !BASE_HEADERS.has(name))
        .map(([name, value]) => [name, String(value)]),
    );
  } finally {
    await probe.close();
  }
}
