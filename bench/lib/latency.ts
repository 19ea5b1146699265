/**
 * A latency histogram in milliseconds: 0.05 ms buckets up to 60 s (slower
 * samples count as 60 s). Millions of samples cost a fixed 4.8 MB, and
 * percentiles are exact to the bucket width.
 */
export function createHistogram() {
  const RESOLUTION = 0.05;
  const CEILING = 60_000;
  const buckets = new Uint32Array(CEILING / RESOLUTION + 1);
  let count = 0;
  let max = 0;

  return {
    record(ms: number): void {
      const i = Math.min(buckets.length - 1, Math.max(0, Math.round(ms / RESOLUTION)));
      buckets[i] = (buckets[i] ?? 0) + 1;
      count++;
      if (ms > max) max = ms;
    },
    /** The smallest latency at or under which `p` percent of the samples fall; NaN when empty. */
    percentile(p: number): number {
      if (count === 0) return Number.NaN;
      const target = Math.max(1, Math.ceil((count * p) / 100));
      let seen = 0;
      for (let i = 0; i < buckets.length; i++) {
        seen += buckets[i] ?? 0;
        if (seen >= target) return i * RESOLUTION;
      }
      return CEILING;
    },
    get count() {
      return count;
    },
    get max() {
      return max;
    },
  };
}

export type Histogram = ReturnType<typeof createHistogram>;
