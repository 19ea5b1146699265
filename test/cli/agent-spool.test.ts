import { appendFileSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SystemCollector } from '../../src/cli/agent/collect.js';
import { configDir } from '../../src/cli/agent/files.js';
import { parseMeminfo, parseMounts, parseNetDev } from '../../src/cli/agent/proc.js';
import { Spool } from '../../src/cli/agent/spool.js';
import { AgentStore } from '../../src/cli/agent/store.js';
import { checkMetricsShape } from '../../src/modules/metrics/metrics-shape.js';
import { agentCli, runSummary } from '../harness/agent-cli.js';
import { freePort } from '../harness/cli.js';
import { makeTempDir } from '../harness/temp-dir.js';

const sample = (n: number) => ({ timestamp: 1_700_000_000 + n, metrics: { n } });

/** The agent's building blocks on their own: the spool, the collector and the /proc parsers. */
describe('the agent spool', () => {
  const dirs: { path: string; remove(): void }[] = [];
  const tempDir = () => {
    const dir = makeTempDir('spool');
    dirs.push(dir);
    return join(dir.path, 'spool');
  };
  afterEach(() => dirs.splice(0).forEach((d) => d.remove()));

  it('gives back what was appended, oldest first, in batches, across a reopen', () => {
    const dir = tempDir();
    const spool = new Spool(dir, 100, 4);
    for (let i = 0; i < 10; i++) spool.append(sample(i));
    const reopened = new Spool(dir, 100, 4);
    expect(reopened.depth).toBe(10);
    const seen: number[] = [];
    for (let batch = reopened.oldest(); batch; batch = reopened.oldest()) {
      expect(batch.samples.length).toBeLessThanOrEqual(4);
      seen.push(...batch.samples.map((s) => s.metrics['n'] as number));
      batch.done();
    }
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(reopened.depth).toBe(0);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('keeps a batch until it is marked done, and appends after it elsewhere', () => {
    const spool = new Spool(tempDir(), 100, 4);
    spool.append(sample(0));
    const batch = spool.oldest();
    spool.append(sample(1)); // a new tick while the batch is in flight
    expect(batch?.samples.map((s) => s.metrics['n'])).toEqual([0]);
    expect(spool.oldest()?.samples.map((s) => s.metrics['n'])).toEqual([0]); // not done: still first
    batch?.done();
    expect(spool.oldest()?.samples.map((s) => s.metrics['n'])).toEqual([1]);
  });

  it('stays within its bound by dropping the oldest entries, and says how many', () => {
    const spool = new Spool(tempDir(), 5, 2);
    const dropped = Array.from({ length: 12 }, (_, i) => spool.append(sample(i)));
    expect(dropped.reduce((a, b) => a + b, 0)).toBe(7);
    expect(spool.depth).toBe(5);
    const left: number[] = [];
    for (let batch = spool.oldest(); batch; batch = spool.oldest()) {
      left.push(...batch.samples.map((s) => s.metrics['n'] as number));
      batch.done();
    }
    expect(left).toEqual([7, 8, 9, 10, 11]);
  });

  it('skips a line torn by a crash and never appends after it', () => {
    const dir = tempDir();
    const spool = new Spool(dir, 100, 10);
    spool.append(sample(0));
    const [segment] = readdirSync(dir);
    appendFileSync(join(dir, segment!), '{"timestamp":17000');
    const reopened = new Spool(dir, 100, 10);
    reopened.append(sample(1));
    const seen: number[] = [];
    for (let batch = reopened.oldest(); batch; batch = reopened.oldest()) {
      seen.push(...batch.samples.map((s) => s.metrics['n'] as number));
      batch.done();
    }
    expect(seen).toEqual([0, 1]);
  });
});

describe('the config dir', () => {
  it('is AGENTHUB_CONFIG_DIR, else $XDG_CONFIG_HOME/agenthub, else ~/.config/agenthub', () => {
    expect(configDir({ AGENTHUB_CONFIG_DIR: '/srv/agent', XDG_CONFIG_HOME: '/xdg' })).toBe('/srv/agent');
    expect(configDir({ XDG_CONFIG_HOME: '/xdg' })).toBe('/xdg/agenthub');
    expect(configDir({})).toBe(join(homedir(), '.config', 'agenthub'));
  });
});

describe('the system collector', () => {
  it('collects CPU, memory, disks, network, uptime and labels in a shape the server accepts', async () => {
    const collector = new SystemCollector();
    await new Promise((r) => setTimeout(r, 200));
    const snapshot = await collector.collect({ env: 'test' });
    expect(checkMetricsShape(snapshot)).toBeUndefined();
    const cpu = snapshot['cpu'] as Record<string, number>;
    expect(cpu['usage']).toBeGreaterThanOrEqual(0);
    expect(cpu['usage']).toBeLessThanOrEqual(100);
    expect(cpu['cores']).toBeGreaterThan(0);
    expect(typeof cpu['load1']).toBe('number');
    const memory = snapshot['memory'] as Record<string, number>;
    expect(memory['total']).toBeGreaterThan(0);
    expect(memory['used']).toBeLessThanOrEqual(memory['total']!);
    const disks = snapshot['disks'] as Record<string, Record<string, number>>;
    expect(Object.keys(disks).length).toBeGreaterThan(0);
    for (const disk of Object.values(disks)) expect(disk['total']).toBeGreaterThan(0);
    expect(snapshot['uptime']).toBeGreaterThan(0);
    expect(snapshot['labels']).toEqual({ env: 'test' });
    if (process.platform === 'linux') {
      expect(snapshot['processes']).toBeGreaterThan(0);
      expect(snapshot['network']).toMatchObject({ rx_bytes: expect.any(Number), tx_bytes: expect.any(Number) });
      expect(snapshot['swap']).toMatchObject({ total: expect.any(Number) });
    }
  });

  it('parses /proc/meminfo, /proc/mounts and /proc/net/dev', () => {
    const meminfo = parseMeminfo('MemTotal:       16000 kB\nMemAvailable:    4000 kB\nHugePages_Total:       0\n');
    expect(meminfo.get('MemTotal')).toBe(16000 * 1024);
    expect(meminfo.get('MemAvailable')).toBe(4000 * 1024);
    expect(meminfo.get('HugePages_Total')).toBe(0);

    const mounts = parseMounts(
      [
        'proc /proc proc rw 0 0',
        'tmpfs /run tmpfs rw 0 0',
        '/dev/sda1 / ext4 rw 0 0',
        '/dev/sda1 /var/lib/docker/bind ext4 rw 0 0',
        '/dev/sdb1 /mnt/my\\040data xfs rw 0 0',
        'server:/export /mnt/nfs nfs4 rw 0 0',
        'overlay /var/lib/docker/overlay2/x/merged overlay rw 0 0',
      ].join('\n'),
    );
    expect(mounts).toEqual([
      { device: '/dev/sda1', mountPoint: '/', fsType: 'ext4' },
      { device: '/dev/sdb1', mountPoint: '/mnt/my data', fsType: 'xfs' },
    ]);

    const net = parseNetDev(
      [
        'Inter-|   Receive                                                |  Transmit',
        ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed',
        '    lo: 100 1 0 0 0 0 0 0 100 1 0 0 0 0 0 0',
        '  eth0: 2000 20 1 0 0 0 0 0 3000 30 2 0 0 0 0 0',
      ].join('\n'),
    );
    expect([...net.keys()]).toEqual(['eth0']);
    expect(net.get('eth0')).toEqual({
      rx_bytes: 2000,
      rx_packets: 20,
      rx_errors: 1,
      tx_bytes: 3000,
      tx_packets: 30,
      tx_errors: 2,
    });
  });
});

describe('agenthub agent run without a server (command line)', () => {
  it('spools every snapshot, drops the oldest beyond --spool-max, and warns once per state change', async () => {
    const dir = makeTempDir('agent-offline');
    try {
      const store = new AgentStore(dir.path);
      store.ensureFingerprint();
      // Credentials that look valid locally; the server at this port is not there.
      store.saveTokens({ accessToken: 'x.y.z', refreshToken: 'agr_x_y', expiresAt: Date.now() + 3_600_000 });
      store.writeConfig({
        server: `http://127.0.0.1:${await freePort()}`,
        server_id: 'srv-offline',
        interval: 0.2,
        labels: {},
        spool_max: 10_000,
      });
      const result = await agentCli(dir.path, ['run', '--ticks', '4', '--spool-max', '2']);
      expect(result.code, result.stderr).toBe(0);
      expect(runSummary(result.stdout)).toMatchObject({
        collected: 4,
        sent: 0,
        spooled: 4,
        dropped: 2,
        spool_depth: 2,
      });
      expect(result.stderr.match(/server unreachable \(fetch failed: .*ECONNREFUSED/g)).toHaveLength(1);
      expect(result.stderr.match(/spool full \(2 snapshots\): dropping the oldest/g)).toHaveLength(1);
      const status = await agentCli(dir.path, ['status', '--json']);
      expect(status.code).toBe(1);
      expect(JSON.parse(status.stdout)).toMatchObject({ agent: null, spool_depth: 2, last_success_at: null });
    } finally {
      dir.remove();
    }
  }, 120_000);
});
