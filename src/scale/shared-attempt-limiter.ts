import { createHash } from 'node:crypto';
import {
  createLocalAttemptCounter,
  type AttemptLimiter,
  type AttemptLimiters,
  type AttemptLimitOptions,
} from '../lib/attempt-limiter.js';
import type { RedisLink } from './redis.js';

/** Counts one attempt: the window starts at the first one; answers [count, milliseconds left]. */
const HIT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {count, ttl}`;
/** The current window: [count, milliseconds left], [0, 0] when there is none. */
const READ = `
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then return {0, 0} end
return {count, ttl}`;

const secondsOf = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/**
 * Attempt limits shared by every instance through Redis (ADR 0011), so K instances give a guesser no
 * more attempts than one. Every attempt is also counted in process: while Redis is away (not ready,
 * or a command fails) the in-process counters answer, so a limit always applies, per instance.
 * Keys are hashed: Redis never holds an email address or a client address in clear.
 */
export function sharedAttemptLimiters(link: RedisLink): AttemptLimiters {
  return (options) => createSharedAttemptLimiter(link, options);
}

function createSharedAttemptLimiter(link: RedisLink, options: AttemptLimitOptions): AttemptLimiter {
  const local = createLocalAttemptCounter(options);
  const checkCacheMs = options.checkCacheMs ?? 0;
  /** What this instance last learned from Redis: blocked until, or known unblocked until. */
  const learned = new Map<string, { blockedUntil: number; freshUntil: number }>();
  const redisKey = (key: string) =>
    `${link.prefix}-attempts:${options.name}:${createHash('sha256').update(key).digest('base64url').slice(0, 32)}`;

  function learn(key: string, count: number, ttlMs: number): number {
    const now = Date.now();
    const blocked = count >= options.max && ttlMs > 0;
    if (learned.size > 50_000) learned.clear();
    if (blocked || checkCacheMs > 0)
      learned.set(key, {
        blockedUntil: blocked ? now + ttlMs : 0,
        freshUntil: blocked ? now + ttlMs : now + checkCacheMs,
      });
    else learned.delete(key);
    return blocked ? secondsOf(ttlMs) : 0;
  }

  async function run(script: string, key: string): Promise<[number, number] | undefined> {
    if (!link.up) return undefined;
    try {
      return (await link.commands.eval(script, 1, redisKey(key), String(options.windowMs))) as [number, number];
    } catch {
      return undefined;
    }
  }

  return {
    async retryAfter(key) {
      const known = learned.get(key);
      const now = Date.now();
      if (known && known.freshUntil > now) return known.blockedUntil > now ? secondsOf(known.blockedUntil - now) : 0;
      const shared = await run(READ, key);
      if (!shared) return local.retryAfter(key);
      return learn(key, ...shared);
    },
    async hit(key) {
      const alone = local.hit(key);
      const shared = await run(HIT, key);
      if (!shared) return alone;
      const [count, ttl] = shared;
      learn(key, count, ttl);
      return count > options.max ? secondsOf(ttl) : 0;
    },
    async reset(key) {
      local.reset(key);
      learned.delete(key);
      if (link.up) await link.commands.del(redisKey(key)).catch(() => 0);
    },
  };
}
