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
