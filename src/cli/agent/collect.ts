import { readdir, readFile, statfs } from 'node:fs/promises';
import os from 'node:os';
import type { MetricsSnapshot, MetricsValue } from '../../client/index.js';
import { parseMeminfo, parseMounts, parseNetDev, type Mount } from './proc.js';

/** Bounds that keep a snapshot far below the server's 1000-key limit on odd hosts. */
const MAX_DISKS = 32;
const MAX_INTERFACES = 32;
/** The server refuses longer keys. */
const MAX_KEY_LENGTH = 128;
const STATFS_TIMEOUT_MS = 2000;

interface CpuTimes {
  idle: number;
  total: number;
}

function cpuTimes(): CpuTimes {
  let idle = 0;
  let total = 0;
  for (const cpu of os.cpus()) {
    const t = cpu.times;
    idle += t.idle;
    total += t.user + t.nice + t.sys + t.idle + t.irq;
  }
  return { idle, total };
}

const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;
const percent = (part: number, whole: number) => (whole > 0 ? round((part / whole) * 100) : 0);

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * System metrics from node:os and, on Linux, /proc and statfs. CPU usage is
 * the busy share of all cores since the previous snapshot (os.cpus() deltas).
 */
export class SystemCollector {
  private previous: CpuTimes = cpuTimes();

  async collect(labels: Record<string, string> = {}): Promise<MetricsSnapshot> {
    const [meminfo, mountsText, netDev, processes] = await Promise.all([
      readText('/proc/meminfo'),
      readText('/proc/mounts'),
      readText('/proc/net/dev'),
      countProcesses(),
    ]);
    const memory = parseMeminfo(meminfo ?? '');
    const snapshot: MetricsSnapshot = {
      cpu: this.cpu(),
      memory: memoryOf(memory),
      disks: await disksOf(mountsText),
      uptime: Math.round(os.uptime()),
      system: { hostname: os.hostname(), os: os.platform(), kernel: os.release(), arch: os.arch() },
    };
    const swap = swapOf(memory);
    if (swap) snapshot['swap'] = swap;
    if (netDev !== undefined) snapshot['network'] = networkOf(netDev);
    if (processes !== undefined) snapshot['processes'] = processes;
    if (Object.keys(labels).length > 0) snapshot['labels'] = labels;
    return snapshot;
  }

  private cpu(): MetricsSnapshot {
    const now = cpuTimes();
    const total = now.total - this.previous.total;
    const idle = now.idle - this.previous.idle;
    this.previous = now;
    const [load1 = 0, load5 = 0, load15 = 0] = os.loadavg();
    return {
      usage: total > 0 ? round(Math.min(100, Math.max(0, (1 - idle / total) * 100))) : 0,
      cores: os.cpus().length,
      load1: round(load1),
      load5: round(load5),
      load15: round(load15),
    };
  }
}

function memoryOf(meminfo: Map<string, number>): MetricsSnapshot {
  const total = meminfo.get('MemTotal') ?? os.totalmem();
  const free = meminfo.get('MemFree') ?? os.freemem();
  const available = meminfo.get('MemAvailable') ?? free;
  const used = total - available;
  return { total, free, available, used, usage: percent(used, total) };
}

function swapOf(meminfo: Map<string, number>): MetricsSnapshot | undefined {
  const total = meminfo.get('SwapTotal');
  const free = meminfo.get('SwapFree');
  if (total === undefined || free === undefined) return undefined;
  return { total, free, used: total - free, usage: percent(total - free, total) };
}

async function disksOf(mountsText: string | undefined): Promise<MetricsSnapshot> {
  const found = mountsText === undefined ? [] : parseMounts(mountsText);
  const mounts: Mount[] = found.length > 0 ? found : [{ device: 'root', mountPoint: '/', fsType: 'unknown' }];
  const disks: Record<string, MetricsValue> = {};
  for (const mount of mounts.filter((m) => m.mountPoint.length <= MAX_KEY_LENGTH).slice(0, MAX_DISKS)) {
    const stats = await statfsWithin(mount.mountPoint);
    if (!stats) continue;
    const total = stats.blocks * stats.bsize;
    const free = stats.bfree * stats.bsize;
    const available = stats.bavail * stats.bsize;
    const used = total - free;
    // As df computes it: reserved blocks count as neither used nor available.
    disks[mount.mountPoint] = {
      device: mount.device.slice(0, 256),
      fstype: mount.fsType,
      total,
      used,
      available,
      usage: percent(used, used + available),
    };
  }
  return disks;
}

/** statfs, given up on after a while (a wedged mount must not stall every tick). */
async function statfsWithin(path: string) {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), STATFS_TIMEOUT_MS);
  });
  try {
    return await Promise.race([statfs(path).catch(() => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function networkOf(netDev: string): MetricsSnapshot {
  const interfaces: Record<string, MetricsValue> = {};
  let rx = 0;
  let tx = 0;
  for (const [name, counters] of parseNetDev(netDev)) {
    rx += counters.rx_bytes;
    tx += counters.tx_bytes;
    if (Object.keys(interfaces).length < MAX_INTERFACES) interfaces[name] = { ...counters };
  }
  return { rx_bytes: rx, tx_bytes: tx, interfaces };
}

/** Running processes: the numeric directories of /proc (Linux only). */
async function countProcesses(): Promise<number | undefined> {
  try {
    return (await readdir('/proc')).filter((name) => /^\d+$/.test(name)).length;
  } catch {
    return undefined;
  }
}
