/** A token bucket: `rate` tokens per second, bursts up to `rate`. */
export function createTokenBucket(rate: number, now: () => number = Date.now) {
  let tokens = rate;
  let last = now();
  return {
    take(): boolean {
      const t = now();
      tokens = Math.min(rate, tokens + ((t - last) / 1000) * rate);
      last = t;
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
  };
}
