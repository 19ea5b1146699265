import type { IngestSample } from './ingest-sample.js';
import type { LinePoint } from './line-protocol.parser.js';

/**
 * The tag that names the instance of each of Telegraf's standard inputs that report several (per CPU, mount
 * point, block device, interface), in order of preference. Its value becomes a path segment
 * (`disk./var/log.used_percent`); `cpu-total` is the machine itself and stays directly under `cpu`.
 * Every other measurement, and every other tag, is left out of the path: tags such as `fstype`, `mode` or a
 * user's `global_tags` would otherwise multiply the tree, and `host` is the agent itself (hostsOf).
 * Two points of one measurement and timestamp that differ only in other tags therefore share their paths,
 * and the later field wins.
 */
const INSTANCE_TAGS = new Map<string, readonly string[]>([
  ['cpu', ['cpu']],
  ['disk', ['path', 'device']],
  ['diskio', ['name']],
  ['net', ['interface']],
]);
const CPU_TOTAL = 'cpu-total';
/** `net` reports the loopback and, for protocol counters, an `all` pseudo-interface: neither is traffic. */
const NOT_TRAFFIC = new Set(['lo', 'all']);
const MAX_SEGMENT_LENGTH = 128;
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
/** Plain objects (what the JSON route builds) cannot hold this key as data: such a measurement or field is dropped. */
const PROTO = '__proto__';

type Node = Record<string, unknown>;

/**
 * Telegraf's points as AgentHub snapshots: one per timestamp (a point without one is at `nowSeconds`), each
 * field at `measurement[.instance].field`, plus the canonical paths the dashboard reads: `cpu.usage`,
 * `memory.usage`, `disk.usage` and `network.rx_bytes` / `network.tx_bytes`. Dots inside a name become `_`, so a
 * dotted path always reads back; a point whose instance tag could not be a key (over 128 characters, NUL,
 * invalid Unicode, `__proto__`) is left out rather than merged into its neighbours.
 */
export function linePointsToSamples(points: readonly LinePoint[], nowSeconds: number): IngestSample[] {
  const now = Math.round(nowSeconds * 1000) / 1000;
  const byTimestamp = new Map<number, Node>();
  for (const point of points) {
    const timestamp = point.timestamp ?? now;
    let metrics = byTimestamp.get(timestamp);
    if (!metrics) {
      metrics = node();
      byTimestamp.set(timestamp, metrics);
    }
    addPoint(metrics, point);
  }
  const samples: IngestSample[] = [];
  for (const [timestamp, metrics] of byTimestamp) {
    addTraffic(metrics);
    samples.push({ timestamp, metrics });
  }
  return samples.sort((a, b) => a.timestamp - b.timestamp);
}

/** The `host` tags of the points: the route checks each against the agent's server_id. */
export function hostsOf(points: readonly LinePoint[]): Set<string> {
  const hosts = new Set<string>();
  for (const point of points) {
    const host = point.tags.host;
    if (host !== undefined) hosts.add(host);
  }
  return hosts;
}

function addPoint(metrics: Node, point: LinePoint): void {
  const { measurement, tags, fields } = point;
  const instance = instanceOf(measurement, tags);
  if (instance === null) return;
  const base = [segment(measurement)];
  if (instance !== undefined) base.push(segment(instance));
  if (base.includes(PROTO)) return;
  const target = nodeAt(metrics, base);
  for (const key in fields) {
    const name = segment(key);
    if (name !== PROTO) target[name] = fields[key];
  }
  addCanonical(metrics, point);
}

/** The instance segment: undefined when the point is the machine itself, null when its tag cannot be a key. */
function instanceOf(measurement: string, tags: Record<string, string>): string | undefined | null {
  const names = INSTANCE_TAGS.get(measurement);
  if (!names) return undefined;
  for (const name of names) {
    const value = tags[name];
    if (value === undefined) continue;
    if (measurement === 'cpu' && value === CPU_TOTAL) return undefined;
    return isSafeKey(value) ? value : null;
  }
  return undefined;
}

function addCanonical(metrics: Node, point: LinePoint): void {
  const { measurement, tags, fields } = point;
  const percent = fields.used_percent;
  if (measurement === 'cpu') {
    const idle = fields.usage_idle;
    if (tags.cpu === CPU_TOTAL && typeof idle === 'number')
      setPath(metrics, ['cpu', 'usage'], Math.min(100, Math.max(0, 100 - idle)));
  } else if (measurement === 'mem') {
    if (typeof percent === 'number') setPath(metrics, ['memory', 'usage'], percent);
  } else if (measurement === 'disk') {
    if (tags.path === '/' && typeof percent === 'number') setPath(metrics, ['disk', 'usage'], percent);
  }
}

/**
 * network.rx_bytes / tx_bytes: the sum over the interfaces in the snapshot (after the later of two points for
 * one interface has won), so the chart's rate is the machine's traffic.
 */
function addTraffic(metrics: Node): void {
  const net = metrics.net;
  if (!isNode(net)) return;
  let rx: number | undefined;
  let tx: number | undefined;
  for (const name in net) {
    const iface = net[name];
    if (!isNode(iface) || NOT_TRAFFIC.has(name)) continue;
    if (typeof iface.bytes_recv === 'number') rx = (rx ?? 0) + iface.bytes_recv;
    if (typeof iface.bytes_sent === 'number') tx = (tx ?? 0) + iface.bytes_sent;
  }
  if (rx !== undefined) setPath(metrics, ['network', 'rx_bytes'], rx);
  if (tx !== undefined) setPath(metrics, ['network', 'tx_bytes'], tx);
}

/** The object at `path`, created as needed; a value in the way is replaced (the later point wins). */
function nodeAt(root: Node, path: readonly string[]): Node {
  let current = root;
  for (const key of path) {
    const child = Object.hasOwn(current, key) ? current[key] : undefined;
    if (isNode(child)) current = child;
    else {
      const created = node();
      current[key] = created;
      current = created;
    }
  }
  return current;
}

function node(): Node {
  return {};
}

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null;
}

function setPath(root: Node, path: readonly string[], value: unknown): void {
  const last = path.length - 1;
  nodeAt(root, path.slice(0, last))[path[last] as string] = value;
}

function segment(name: string): string {
  return name.includes('.') ? name.replaceAll('.', '_') : name;
}

function isSafeKey(value: string): boolean {
  return (
    value.length > 0 && value.length <= MAX_SEGMENT_LENGTH && !value.includes('\u0000') && !LONE_SURROGATE.test(value)
  );
}
