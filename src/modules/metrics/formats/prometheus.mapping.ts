import type { IngestSample } from './ingest-sample.js';
import type { PromTimeSeries, WriteRequest } from './remote-write.decoder.js';
import { child, isNode, isSafeKey, percent, setPath, shorten, type Node } from './snapshot-paths.js';

/**
 * The labels that name the instance of node_exporter's per-CPU, per-filesystem, per-interface and per-disk series,
 * in path order (`node_cpu_seconds_total.0.idle`, `node_filesystem_avail_bytes./`). Their other labels (`fstype`,
 * `device` of a filesystem, ...) are left out of the path.
 */
const INSTANCE_LABELS: [match: (name: string) => boolean, labels: readonly string[]][] = [
  [(name) => name === 'node_cpu_seconds_total' || name === 'node_cpu_guest_seconds_total', ['cpu', 'mode']],
  [(name) => name.startsWith('node_filesystem_'), ['mountpoint']],
  [(name) => name.startsWith('node_network_') || name.startsWith('node_disk_'), ['device']],
];
/** Labels that are never part of a path: the metric name, and the scrape target (the agent itself). */
const NOT_IN_PATH = new Set(['__name__', 'instance', 'job']);
const NOT_TRAFFIC = new Set(['lo']);

/**
 * remote_write series as AgentHub snapshots, one per (`instance` label, millisecond), keyed by the `instance`
 * label exactly as sent (undefined for series without one; compare it with `isInstanceOf`). A series is stored at
 * its metric name, then the node_exporter instance labels above, or for other metrics one segment of its other
 * labels (`code_200_method_GET`); values as sent (counters stay cumulative). NaN (staleness markers) and infinite
 * samples, series without `__name__` or with an unsafe label value, and native histograms are skipped. The
 * canonical `memory.usage`, `disk.usage`, `network.rx_bytes`/`tx_bytes` come from node_exporter's series, and
 * `cpu.usage` from node_cpu_seconds_total when one request holds two samples of it for an instance.
 */
export function remoteWriteToSamples(
  request: WriteRequest,
  nowSeconds: number,
): { instances: Map<string | undefined, IngestSample[]> } {
  const now = Math.round(nowSeconds * 1000) / 1000;
  const trees = new Map<string | undefined, Map<number, Node>>();
  for (const series of request.timeseries) {
    const labels = labelsOf(series);
    const path = pathOf(labels);
    if (!path) continue;
    let byTimestamp = trees.get(labels.instance);
    if (!byTimestamp) trees.set(labels.instance, (byTimestamp = new Map<number, Node>()));
    for (const { value, timestamp } of series.samples) {
      if (!Number.isFinite(value)) continue;
      const seconds = timestamp === 0 ? now : timestamp / 1000;
      let metrics = byTimestamp.get(seconds);
      if (!metrics) byTimestamp.set(seconds, (metrics = {}));
      setPath(metrics, path, value);
    }
  }
  const instances = new Map<string | undefined, IngestSample[]>();
  for (const [instance, byTimestamp] of trees) {
    const samples = [...byTimestamp].map(([timestamp, metrics]) => ({ timestamp, metrics }));
    samples.sort((a, b) => a.timestamp - b.timestamp);
    samples.forEach((sample, i) => addCanonical(sample.metrics, samples[i - 1]?.metrics));
    instances.set(instance, samples);
  }
  return { instances };
}

/**
 * Whether a series' `instance` label names the agent `serverId`: Prometheus sets it to the scraped `host:port`,
 * so `srv-web-02` and `srv-web-02:9100` both do.
 */
export function isInstanceOf(instance: string, serverId: string): boolean {
  if (instance === serverId) return true;
  return instance.startsWith(`${serverId}:`) && /^\d{1,5}$/.test(instance.slice(serverId.length + 1));
}

function labelsOf(series: PromTimeSeries): Record<string, string> {
  const labels: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const { name, value } of series.labels) labels[name] = value;
  return labels;
}

/** The series' path, or null when it has no name or a label value that cannot be a key. */
function pathOf(labels: Record<string, string>): string[] | null {
  const metricName = labels.__name__;
  if (!metricName) return null;
  const name = shorten(metricName.replace(/[^A-Za-z0-9_-]/g, '_'));
  const known = INSTANCE_LABELS.find(([match]) => match(name))?.[1];
  if (known) {
    const path = [name];
    for (const label of known) {
      const value = labels[label];
      if (value === undefined) continue;
      const segment = value.replaceAll('.', '_');
      if (!isSafeKey(segment)) return null;
      path.push(segment);
    }
    return path;
  }
  const others = Object.keys(labels)
    .filter((label) => !NOT_IN_PATH.has(label))
    .sort();
  if (others.length === 0) return [name];
  const joined = others.map((label) => `${label}=${labels[label] ?? ''}`).join(',');
  return [name, shorten(joined.replace(/[^A-Za-z0-9_-]/g, '_'))];
}

/** The dashboard's paths from node_exporter's series; `previous` is the instance's snapshot just before. */
function addCanonical(metrics: Node, previous: Node | undefined): void {
  const available = metrics.node_memory_MemAvailable_bytes;
  const total = metrics.node_memory_MemTotal_bytes;
  if (typeof available === 'number' && typeof total === 'number' && total > 0)
    setPath(metrics, ['memory', 'usage'], percent(1 - available / total));

  const free = child(metrics, 'node_filesystem_avail_bytes')?.['/'];
  const size = child(metrics, 'node_filesystem_size_bytes')?.['/'];
  if (typeof free === 'number' && typeof size === 'number' && size > 0)
    setPath(metrics, ['disk', 'usage'], percent(1 - free / size));

  for (const [direction, name] of [
    ['rx_bytes', 'node_network_receive_bytes_total'],
    ['tx_bytes', 'node_network_transmit_bytes_total'],
  ] as const) {
    const devices = Object.entries(child(metrics, name) ?? {}).filter(([device]) => !NOT_TRAFFIC.has(device));
    const bytes = devices.map(([, value]) => value).filter((value) => typeof value === 'number');
    if (bytes.length > 0)
      setPath(
        metrics,
        ['network', direction],
        bytes.reduce((a, b) => a + b, 0),
      );
  }

  const busy = cpuBusy(child(previous, 'node_cpu_seconds_total'), child(metrics, 'node_cpu_seconds_total'));
  if (busy !== undefined) setPath(metrics, ['cpu', 'usage'], percent(busy));
}

/**
 * The busy fraction between two readings of node_cpu_seconds_total: 1 - idle time / all time, over the
 * (cpu, mode) counters present in both; undefined without two readings, on a counter reset or no elapsed time.
 */
function cpuBusy(before: Node | undefined, after: Node | undefined): number | undefined {
  if (!before || !after) return undefined;
  let idle = 0;
  let all = 0;
  for (const [cpu, modes] of Object.entries(after)) {
    const earlier = child(before, cpu);
    if (!isNode(modes) || !earlier) continue;
    for (const [mode, seconds] of Object.entries(modes)) {
      const start = earlier[mode];
      if (typeof seconds !== 'number' || typeof start !== 'number') continue;
      const delta = seconds - start;
      if (delta < 0) return undefined;
      all += delta;
      if (mode === 'idle') idle += delta;
    }
  }
  return all > 0 ? 1 - idle / all : undefined;
}
