import { createHash } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { setBounded } from '../lib/bounded-map.js';
import type { RedisLink } from '../scale/redis.js';

const CREDENTIAL_KEY_PREFIX = 'cred:';
const CREDENTIAL_KEYS_REMEMBERED = 10_000;
/** Access JWTs are under 1 KB, API tokens and session cookies far shorter: 10,000 × 2 KB bounds the map. */
const CREDENTIAL_REMEMBERED_MAX_LENGTH = 2048;

/** The credential a request carries (bearer or session cookie), if any. */
function presentedCredential(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header && /^bearer /i.test(header)) return header;
  return request.cookies['agenthub_session'] ?? request.cookies['__Host-agenthub_session'];
}

/**
 * Global limits: anonymous requests share a bucket per IP; requests carrying a
 * credential get a larger bucket per credential. Forged credentials gain
 * nothing: they fail authentication and count against the per-IP failure limit.
 */
export async function registerRateLimit(app: FastifyInstance, config: Config, redis?: RedisLink): Promise<void> {
  // A credential's bucket is named by its hash, so neither memory dumps of the store nor Redis keys hold it.
  // Agents send the same credential with every request: its hash is remembered (the oldest forgotten first),
  // unless it is longer than any credential AgentHub issues, so junk headers cannot fill memory.
  const credentialKeys = new Map<string, string>();
  const credentialKey = (credential: string): string => {
    let key = credentialKeys.get(credential);
    if (key === undefined) {
      key = CREDENTIAL_KEY_PREFIX + createHash('sha256').update(credential).digest('base64url');
      if (credential.length <= CREDENTIAL_REMEMBERED_MAX_LENGTH)
        setBounded(credentialKeys, credential, key, CREDENTIAL_KEYS_REMEMBERED);
    }
    return key;
  };
  await app.register(rateLimit, {
    global: true,
    // Shared counters across instances; if Redis is down, requests are let through rather than refused.
    ...(redis ? { redis: redis.commands, nameSpace: `${redis.prefix}-rl:`, skipOnError: true } : {}),
    timeWindow: 60_000,
    max: (_request, key) =>
      key.startsWith(CREDENTIAL_KEY_PREFIX) ? config.RATE_LIMIT_AUTHENTICATED : config.RATE_LIMIT_ANON,
    keyGenerator: (request) => {
      const credential = presentedCredential(request);
      return credential ? credentialKey(credential) : 'ip:' + request.ip;
    },
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
    keyGenerator: (request: FastifyRequest) => `probe:${request.routeOptions.url ?? ''}:${request.ip}`,
  };
}
