/**
 * Fixed-window counters of failed attempts (sign-in per account, token exchange per prefix and per
 * address, code entry per person and per address, refused credentials per address). In process by
 * default; with REDIS_URL the counters are shared by every instance (src/scale/shared-attempt-limiter.ts),
 * and fall back to the in-process ones while Redis is away, never to no limit.
 */
export interface AttemptLimiter {
  /** Seconds until the key may try again: 0 while it has attempts left in the current window. */
  retryAfter(key: string): Promise<number>;
  /** Counts one failed attempt; resolves to the seconds until the key may try again if this one went over the limit, else 0. */
  hit(key: string): Promise<number>;
  reset(key: string): Promise<void>;
}

export interface AttemptLimitOptions {
  /** Names the counter (Redis keys, logs): unique per limit. */
  name: string;
  max: number;
  windowMs: number;
  /**
   * Shared counters only: how long an answer of "not blocked" may be reused without asking Redis (0: ask
   * on every check). For limits checked on every request; each counted attempt still learns the shared
   * count at once, so an instance can overshoot by at most one attempt per this period.
   */
  checkCacheMs?: number;
}

/** Makes the limiters of one app: in process, or shared through Redis. */
export type AttemptLimiters = (options: AttemptLimitOptions) => AttemptLimiter;

/** The synchronous in-process counter both kinds of limiter keep. */
export interface LocalAttemptCounter {
  retryAfter(key: string): number;
  hit(key: string): number;
  reset(key: string): void;
}

export function createLocalAttemptCounter(options: {
  max: number;
  windowMs: number;
  now?: () => number;
}): LocalAttemptCounter {
  const now = options.now ?? Date.now;
  const windows = new Map<string, { count: number; resetAt: number }>();

  function current(key: string) {
    const entry = windows.get(key);
    if (entry && entry.resetAt > now()) return entry;
    windows.delete(key);
    return undefined;
  }
  const secondsLeft = (entry: { resetAt: number }) => Math.max(1, Math.ceil((entry.resetAt - now()) / 1000));

  // Bound memory under a flood of distinct keys: drop expired windows now and then.
  let sweepAt = now() + options.windowMs;
  function sweep() {
    if (now() < sweepAt) return;
    sweepAt = now() + options.windowMs;
    for (const [key, entry] of windows) if (entry.resetAt <= now()) windows.delete(key);
  }

  return {
    retryAfter(key) {
      const entry = current(key);
      return entry && entry.count >= options.max ? secondsLeft(entry) : 0;
    },
    hit(key) {
      sweep();
      const entry = current(key) ?? { count: 0, resetAt: now() + options.windowMs };
      entry.count += 1;
      windows.set(key, entry);
      return entry.count > options.max ? secondsLeft(entry) : 0;
    },
    reset: (key) => void windows.delete(key),
  };
}

/** One in-process limiter (a single instance, or tests). */
export function createAttemptLimiter(options: { max: number; windowMs: number; now?: () => number }): AttemptLimiter {
  const counter = createLocalAttemptCounter(options);
  return {
    retryAfter: (key) => Promise.resolve(counter.retryAfter(key)),
    hit: (key) => Promise.resolve(counter.hit(key)),
    reset: (key) => Promise.resolve(counter.reset(key)),
  };
}

export const inProcessAttemptLimiters: AttemptLimiters = (options) => createAttemptLimiter(options);
