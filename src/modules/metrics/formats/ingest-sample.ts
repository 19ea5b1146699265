/** One AgentHub snapshot produced from a stock agent's points. */
export interface IngestSample {
  /** Unix seconds, millisecond precision. */
  timestamp: number;
  /** Nested object of numbers, strings, booleans and objects (what POST /api/v1/metrics takes as `metrics`). */
  metrics: Record<string, unknown>;
}

/** Bad input in a stock agent's format: the route answers it in that format's own error shape. */
export class FormatError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 413 | 415 = 400,
    /** 1-based line of a line-protocol body. */
    readonly line?: number,
  ) {
    super(message);
    this.name = 'FormatError';
  }
}

/**
 * One snapshot per timestamp: snapshots of the same instant (several OTLP resources or scopes, instances of one
 * remote_write batch) are merged key by key, since the database keeps one snapshot per (agent, timestamp) and
 * would keep only the first. On a conflict between a value and an object, the later one wins.
 */
export function mergeByTimestamp(samples: readonly IngestSample[]): IngestSample[] {
  const byTimestamp = new Map<number, IngestSample>();
  for (const sample of samples) {
    const known = byTimestamp.get(sample.timestamp);
    if (known) mergeInto(known.metrics, sample.metrics);
    else byTimestamp.set(sample.timestamp, { timestamp: sample.timestamp, metrics: { ...sample.metrics } });
  }
  return [...byTimestamp.values()];
}

function mergeInto(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(source)) {
    const existing = target[key];
    if (isObject(existing) && isObject(value)) {
      const copy = { ...existing };
      mergeInto(copy, value);
      target[key] = copy;
    } else target[key] = value;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * OpenTelemetry stamps each data point when it was observed, so one export (or one Collector scrape) carries
 * instants a few milliseconds apart. Samples within `windowSeconds` of the first of a run become one snapshot at
 * that first instant: deterministic, so a retried export lands on the same snapshots.
 */
export function mergeCloseInstants(samples: readonly IngestSample[], windowSeconds: number): IngestSample[] {
  const sorted = [...samples].sort((a, b) => a.timestamp - b.timestamp);
  const runs: IngestSample[] = [];
  let start = Number.NEGATIVE_INFINITY;
  for (const sample of sorted) {
    if (sample.timestamp - start >= windowSeconds) start = sample.timestamp;
    runs.push({ timestamp: start, metrics: sample.metrics });
  }
  return mergeByTimestamp(runs);
}
