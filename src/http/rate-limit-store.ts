import type { FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import { setBounded } from '../lib/bounded-map.js';
import type { RedisLink } from '../scale/redis.js';

/** Counts one request in a fixed window that starts at the first: answers [count, milliseconds left]. */
const INCR = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {count, ttl}`;

/** Buckets one instance remembers for the fallback (the oldest forgotten first). */
const LOCAL_BUCKETS = 50_000;

type Result = { current: number; ttl: number };
/** What the plugin calls (it passes the window, and route options with `routeInfo`, beyond its typings). */
interface Store {
  incr(key: string, callback: (error: Error | null, result?: Result) => void, timeWindow: number): void;
  child(options: { routeInfo: { method: string | string[]; url: string } }): Store;
}

/**
 * The HTTP rate limit's store with REDIS_URL: counters shared through Redis, and every request also counted
 * in process, so that while Redis is away (not ready, or a command fails) the in-process counters answer and
 * the limit applies per instance instead of not at all (ADR 0011).
 */
export function fallbackRateLimitStore(link: RedisLink, nameSpace: string): FastifyRateLimitStoreCtor {
  function store(prefix: string): Store {
    const local = new Map<string, { count: number; resetAt: number }>();
    function countLocally(key: string, timeWindow: number): Result {
      const now = Date.now();
      let entry = local.get(key);
      if (!entry || entry.resetAt <= now) {
        entry = { count: 0, resetAt: now + timeWindow };
        local.delete(key);
      }
      entry.count += 1;
      setBounded(local, key, entry, LOCAL_BUCKETS);
      return { current: entry.count, ttl: entry.resetAt - now };
    }
    return {
      incr(key, callback, timeWindow) {
        const alone = countLocally(key, timeWindow);
        if (!link.up) {
          callback(null, alone);
          return;
        }
        link.commands
          .eval(INCR, 1, prefix + key, String(timeWindow))
          .then((answer) => {
            const [current, ttl] = answer as [number, number];
            callback(null, { current, ttl });
          })
          .catch(() => callback(null, alone));
      },
      child: ({ routeInfo }) => store(`${prefix}${routeInfo.method.toString()}${routeInfo.url}-`),
    };
  }
  // The plugin calls `new Store(options)`: a constructor that returns an object makes `new` answer it.
  return function RateLimitStore() {
    return store(nameSpace);
  } as unknown as FastifyRateLimitStoreCtor;
}
