import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { addressKey } from '../lib/client-address.js';
import type { RedisLink } from '../scale/redis.js';
import { fallbackRateLimitStore } from './rate-limit-store.js';

const CREDENTIAL_KEY_PREFIX = 'cred:';
const RATE_LIMIT_BUCKETS = 50_000;

/**
 * The bucket a request spends. Only a verified credential names one: the rate limit runs after the auth
 * guard, which sets `request.credentialBucket` only once a credential has verified. Anything else (no
 * credential, or one that failed) spends its address's anonymous bucket, so no header, cookie or token
 * value buys a fresh budget. Refused credentials are also counted per address (auth-guard.ts).
 */
export function rateLimitKey(request: FastifyRequest): string {
  const bucket = request.credentialBucket;
  return bucket ? CREDENTIAL_KEY_PREFIX + bucket : 'ip:' + addressKey(request.ip);
}

/**
 * Global limits: anonymous requests share a bucket per address (IPv6: per /64); requests whose credential
 * verified get a larger bucket per credential (an agent's refresh lineage or API token, a person's session).
 */
export async function registerRateLimit(app: FastifyInstance, config: Config, redis?: RedisLink): Promise<void> {
  await app.register(rateLimit, {
    global: true,
    // Shared counters across instances; while Redis is away, each instance counts on its own.
    ...(redis ? { store: fallbackRateLimitStore(redis, `${redis.prefix}-rl:`) } : {}),
    timeWindow: 60_000,
    // Buckets the in-process store remembers (least recently used forgotten first; the plugin's default is
    // 5,000): a fleet of 10,000 agents would otherwise have its counters forgotten and never be limited.
    cache: RATE_LIMIT_BUCKETS,
    max: (_request, key) =>
      key.startsWith(CREDENTIAL_KEY_PREFIX) ? config.RATE_LIMIT_AUTHENTICATED : config.RATE_LIMIT_ANON,
    keyGenerator: rateLimitKey,
    errorResponseBuilder: (_request, context) => ({
      statusCode: context.statusCode,
      error: 'rate_limited',
      code: 'rate_limited',
      message: `Rate limit exceeded; retry in ${context.after}.`,
    }),
  });
}

/**
 * Health probes and scrapes (load balancers, orchestrators, Prometheus) poll from a few addresses all day:
 * they get a budget of their own, so they neither exhaust a person's anonymous budget from the same address
 * nor turn an instance "down" with a 429 while it is healthy.
 */
export function probeRateLimit(config: Config) {
  return {
    max: config.RATE_LIMIT_PROBES,
    timeWindow: 60_000,
    // Per route and address, with or without Redis (its counters share one namespace across routes).
    keyGenerator: (request: FastifyRequest) => `probe:${request.routeOptions.url ?? ''}:${addressKey(request.ip)}`,
  };
}
