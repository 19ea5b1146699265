/**
 * Fixed-window counters of failed attempts (sign-in per account, token exchange
 * per prefix and per IP, code entry per user). In memory per instance; with
 * REDIS_URL the scale-out work swaps the store.
 */
export interface AttemptLimiter {
  /** True when the key has used up its attempts in the current window. */
  blocked(key: string): boolean;
  /** Counts one attempt; returns true when this attempt exceeded the limit. */
  hit(key: string): boolean;
  reset(key: string): void;
  /** Seconds until the key's window ends. */
  retryAfter(key: string): number;
}

export function createAttemptLimiter(options: { max: number; windowMs: number; now?: () => number }): AttemptLimiter {
  const now = options.now ?? Date.now;
  const windows = new Map<string, { count: number; resetAt: number }>();

  function current(key: string) {
    const entry = windows.get(key);
    if (entry && entry.resetAt > now()) return entry;
    windows.delete(key);
    return undefined;
  }

  // Bound memory under a flood of distinct keys: drop expired windows now and then.
  let sweepAt = now() + options.windowMs;
  function sweep() {
    if (now() < sweepAt) return;
    sweepAt = now() + options.windowMs;
    for (const [key, entry] of windows) if (entry.resetAt <= now()) windows.delete(key);
  }

  return {
    blocked: (key) => (current(key)?.count ?? 0) >= options.max,
    hit(key) {
      sweep();
      const entry = current(key) ?? { count: 0, resetAt: now() + options.windowMs };
      entry.count += 1;
      windows.set(key, entry);
      return entry.count > options.max;
    },
    reset: (key) => windows.delete(key),
    retryAfter: (key) => Math.max(1, Math.ceil(((current(key)?.resetAt ?? now()) - now()) / 1000)),
  };
}
