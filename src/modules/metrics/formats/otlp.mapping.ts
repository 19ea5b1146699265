import type { IngestSample } from './ingest-sample.js';
import type {
  OtlpAttributes,
  OtlpExponentialHistogramPoint,
  OtlpHistogramPoint,
  OtlpMetric,
  OtlpNumberPoint,
  OtlpRequest,
  OtlpSummaryPoint,
} from './otlp.decoder.js';
import { child, isNode, isSafeKey, percent, setPath, shorten, type Node } from './snapshot-paths.js';

export interface OtlpMapping {
  /** One entry per ResourceMetrics; `host` is its `host.name`, else `service.instance.id`, attribute. */
  resources: { host: string | undefined; samples: IngestSample[] }[];
  /** Data points not stored (OTLP partial_success.rejected_data_points). */
  rejectedDataPoints: number;
  errorMessage?: string;
}

/**
 * The attributes that name the instance of the hostmetrics receiver's metrics (its scrapers' metadata.yaml), each
 * segment the first of its alternatives present: `system.cpu.utilization.cpu0.idle`,
 * `system.filesystem.usage./var.used`. Their other attributes (`type`, `mode`, ...) are left out of the path.
 */
const INSTANCE_ATTRIBUTES = new Map<string, readonly (readonly string[])[]>([
  ...entries(['system.cpu.time', 'system.cpu.utilization'], [['cpu'], ['state']]),
  ...entries(['system.cpu.frequency'], [['cpu']]),
  ...entries(['system.memory.usage', 'system.memory.utilization'], [['state']]),
  ...entries(['system.filesystem.usage', 'system.filesystem.inodes.usage'], [['mountpoint', 'device'], ['state']]),
  ...entries(['system.filesystem.utilization'], [['mountpoint', 'device']]),
  ...entries(
    ['system.network.io', 'system.network.packets', 'system.network.dropped', 'system.network.errors'],
    [['device'], ['direction']],
  ),
  ...entries(['system.network.connections'], [['protocol'], ['state']]),
  ...entries(
    ['system.disk.io', 'system.disk.operations', 'system.disk.operation_time', 'system.disk.merged'],
    [['device'], ['direction']],
  ),
  ...entries(['system.disk.io_time', 'system.disk.weighted_io_time', 'system.disk.pending_operations'], [['device']]),
  ...entries(['system.paging.usage', 'system.paging.utilization'], [['device'], ['state']]),
  ...entries(['system.paging.operations'], [['direction'], ['type']]),
  ...entries(['system.paging.faults'], [['type']]),
  ...entries(['system.processes.count'], [['status']]),
]);
const MAX_DEPTH = 6;
/** Histograms with more buckets keep count, sum, min and max only. */
const MAX_BUCKETS = 100;
const FLAG_NO_RECORDED_VALUE = 1;
const NOT_TRAFFIC = new Set(['lo', 'all']);

type Reason = 'without a value' | 'NaN or infinite' | 'with an attribute or name that cannot be a key';

/**
 * OTLP metrics as AgentHub snapshots: one per (resource, instant), `nowSeconds` for a point without a time. A
 * metric's name is its path (`system.cpu.utilization`), then the instance attributes above, or for other metrics
 * one segment of all attributes (`route_checkout`). Gauges and sums (delta or cumulative, as sent) are numbers;
 * histograms `{count, sum, min, max, buckets: {<upper bound>: cumulative count}}`, exponential histograms
 * `{count, sum, min, max, zero_count}`, summaries `{count, sum, quantiles: {<q>: value}}`. The canonical
 * `cpu.usage`, `memory.usage`, `disk.usage` and `network.rx_bytes`/`tx_bytes` are derived from hostmetrics.
 */
export function otlpToSamples(request: OtlpRequest, nowSeconds: number): OtlpMapping {
  const now = Math.round(nowSeconds * 1000) / 1000;
  const rejected = new Map<Reason, number>();
  const resources = request.resourceMetrics.map((resourceMetrics) => {
    const byTimestamp = new Map<number, Node>();
    for (const scope of resourceMetrics.scopeMetrics)
      for (const metric of scope.metrics) {
        for (const point of pointsOf(metric)) {
          const reason = addPoint(byTimestamp, metric, point, now);
          if (reason) rejected.set(reason, (rejected.get(reason) ?? 0) + 1);
        }
      }
    const samples: IngestSample[] = [];
    for (const [timestamp, metrics] of byTimestamp) {
      addCanonical(metrics);
      samples.push({ timestamp, metrics });
    }
    return {
      host: hostOf(resourceMetrics.resource.attributes),
      samples: samples.sort((a, b) => a.timestamp - b.timestamp),
    };
  });
  let rejectedDataPoints = 0;
  for (const count of rejected.values()) rejectedDataPoints += count;
  if (rejectedDataPoints === 0) return { resources, rejectedDataPoints };
  const reasons = [...rejected].map(([reason, count]) => `${count} ${reason}`).join(', ');
  return { resources, rejectedDataPoints, errorMessage: `${rejectedDataPoints} data points not stored: ${reasons}` };
}

type Point = OtlpNumberPoint | OtlpHistogramPoint | OtlpExponentialHistogramPoint | OtlpSummaryPoint;

function pointsOf(metric: OtlpMetric): readonly Point[] {
  return metric.data?.dataPoints ?? [];
}

function addPoint(byTimestamp: Map<number, Node>, metric: OtlpMetric, point: Point, now: number): Reason | undefined {
  const data = metric.data;
  if (!data || (point.flags & FLAG_NO_RECORDED_VALUE) !== 0) return 'without a value';
  let leaf: unknown;
  let extraDepth = 0;
  if (data.type === 'gauge' || data.type === 'sum') {
    const value = (point as OtlpNumberPoint).value;
    if (value === undefined) return 'without a value';
    if (!Number.isFinite(value)) return 'NaN or infinite';
    leaf = value;
  } else if (data.type === 'histogram') {
    leaf = histogram(point as OtlpHistogramPoint);
    extraDepth = 2;
  } else if (data.type === 'exponentialHistogram') {
    const { count, sum, min, max, zeroCount } = point as OtlpExponentialHistogramPoint;
    leaf = stats({ count, sum, min, max, zero_count: zeroCount });
    extraDepth = 1;
  } else {
    leaf = summary(point as OtlpSummaryPoint);
    extraDepth = 2;
  }
  if (leaf === undefined) return 'NaN or infinite';
  const path = pathOf(metric.name, point.attributes, MAX_DEPTH - extraDepth);
  if (!path) return 'with an attribute or name that cannot be a key';
  const timestamp = point.timeUnixNano === 0n ? now : Number((point.timeUnixNano + 500_000n) / 1_000_000n) / 1000;
  let metrics = byTimestamp.get(timestamp);
  if (!metrics) byTimestamp.set(timestamp, (metrics = {}));
  setPath(metrics, path, leaf);
  return undefined;
}

function histogram(point: OtlpHistogramPoint): Node | undefined {
  const result = stats({ count: point.count, sum: point.sum, min: point.min, max: point.max });
  const { bucketCounts, explicitBounds } = point;
  if (!result || bucketCounts.length !== explicitBounds.length + 1 || bucketCounts.length > MAX_BUCKETS) return result;
  if (!explicitBounds.every(Number.isFinite) || !bucketCounts.every(Number.isFinite)) return result;
  const buckets: Node = {};
  let cumulative = 0;
  bucketCounts.forEach((count, i) => {
    cumulative += count;
    buckets[i < explicitBounds.length ? numberKey(explicitBounds[i] as number) : 'inf'] = cumulative;
  });
  return { ...result, buckets };
}

function summary(point: OtlpSummaryPoint): Node | undefined {
  const result = stats({ count: point.count, sum: point.sum });
  if (!result || point.quantileValues.length === 0) return result;
  const quantiles: Node = {};
  for (const { quantile, value } of point.quantileValues) {
    if (!Number.isFinite(quantile) || !Number.isFinite(value)) return undefined;
    quantiles[numberKey(quantile)] = value;
  }
  return { ...result, quantiles };
}

/** The defined statistics, or undefined when one is NaN or infinite. */
function stats(values: Record<string, number | undefined>): Node | undefined {
  const result: Node = {};
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) continue;
    if (!Number.isFinite(value)) return undefined;
    result[key] = value;
  }
  return result;
}

/** `0.25` → `0_25`, `1e-7` → `1e-7`: bucket bounds and quantiles as path segments. */
function numberKey(value: number): string {
  return String(value).replaceAll('.', '_').replaceAll('+', '');
}

/** The path of a point, within `maxLength` segments (a long name's tail is joined with `_`); null if unsafe. */
function pathOf(name: string, attributes: OtlpAttributes, maxLength: number): string[] | null {
  const instance = instanceSegments(name, attributes);
  if (!instance) return null;
  let segments = name.split('.').map((part) => shorten(part.replace(/[^A-Za-z0-9_/-]/g, '_') || '_'));
  const room = maxLength - instance.length;
  if (segments.length > room) segments = [...segments.slice(0, room - 1), shorten(segments.slice(room - 1).join('_'))];
  const path = [...segments, ...instance];
  return path.every(isSafeKey) ? path : null;
}

function instanceSegments(name: string, attributes: OtlpAttributes): string[] | null {
  const known = INSTANCE_ATTRIBUTES.get(name);
  if (!known) {
    const keys = Object.keys(attributes).sort();
    if (keys.length === 0) return [];
    const joined = keys.map((key) => `${key}=${scalar(attributes[key])}`).join(',');
    return [shorten(joined.replace(/[^A-Za-z0-9_-]/g, '_'))];
  }
  const segments: string[] = [];
  for (const alternatives of known) {
    const key = alternatives.find((candidate) => attributes[candidate] !== undefined);
    if (key === undefined) continue;
    const value = scalar(attributes[key]).replaceAll('.', '_');
    if (!isSafeKey(value)) return null;
    segments.push(value);
  }
  return segments;
}

function scalar(value: OtlpAttributes[string] | undefined): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function hostOf(attributes: OtlpAttributes): string | undefined {
  for (const key of ['host.name', 'service.instance.id']) {
    const value = attributes[key];
    if (typeof value === 'string' && value.length > 0) return value;
  }
  return undefined;
}

/** The dashboard's paths, from the hostmetrics metrics in one snapshot (after the later of duplicates won). */
function addCanonical(metrics: Node): void {
  const system = child(metrics, 'system');
  const cpu = child(child(system, 'cpu'), 'utilization');
  const idle = typeof cpu?.idle === 'number' ? [cpu.idle] : numbersAt(cpu, 'idle');
  if (idle.length > 0) setPath(metrics, ['cpu', 'usage'], percent(1 - average(idle)));

  const memory = child(system, 'memory');
  const memoryUsed = child(memory, 'utilization')?.used;
  if (typeof memoryUsed === 'number') setPath(metrics, ['memory', 'usage'], percent(memoryUsed));
  else {
    const usage = child(memory, 'usage');
    const states = Object.entries(usage ?? {}).filter(([state, v]) => typeof v === 'number' && state !== 'inactive');
    const total = typeof usage?.total === 'number' ? usage.total : sum(states.filter(([s]) => s !== 'total'));
    if (typeof usage?.used === 'number' && total > 0)
      setPath(metrics, ['memory', 'usage'], percent(usage.used / total));
  }

  const filesystem = child(system, 'filesystem');
  const root = child(filesystem, 'utilization')?.['/'];
  if (typeof root === 'number') setPath(metrics, ['disk', 'usage'], percent(root));
  else {
    const usage = child(child(filesystem, 'usage'), '/');
    const total = sum(Object.entries(usage ?? {}).filter(([s]) => ['used', 'free', 'reserved'].includes(s)));
    if (typeof usage?.used === 'number' && total > 0) setPath(metrics, ['disk', 'usage'], percent(usage.used / total));
  }

  const io = child(child(system, 'network'), 'io');
  const devices = Object.entries(io ?? {}).filter(([device]) => !NOT_TRAFFIC.has(device));
  const traffic: Node = Object.fromEntries(devices);
  const rx = numbersAt(traffic, 'receive');
  const tx = numbersAt(traffic, 'transmit');
  if (rx.length > 0)
    setPath(
      metrics,
      ['network', 'rx_bytes'],
      rx.reduce((a, b) => a + b, 0),
    );
  if (tx.length > 0)
    setPath(
      metrics,
      ['network', 'tx_bytes'],
      tx.reduce((a, b) => a + b, 0),
    );
}

function numbersAt(parent: Node | undefined, key: string): number[] {
  const found: number[] = [];
  for (const node of Object.values(parent ?? {}))
    if (isNode(node) && typeof node[key] === 'number') found.push(node[key]);
  return found;
}

function sum(pairs: [string, unknown][]): number {
  return pairs.reduce((total, [, value]) => total + (typeof value === 'number' ? value : 0), 0);
}

function average(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

function entries<T>(names: string[], value: T): [string, T][] {
  return names.map((name) => [name, value]);
}
