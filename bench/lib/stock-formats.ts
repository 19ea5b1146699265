// The same Telegraf-sized gather in three wire formats, for bench:ingest's format runs.
import { parseLineProtocol } from '../../src/modules/metrics/formats/line-protocol.parser.js';
import { linePointsToSamples } from '../../src/modules/metrics/formats/telegraf.mapping.js';
import type { FleetAgent } from './fleet.js';

/**
 * One Telegraf gather of a small server: cpu-total and 4 cores, mem, 3 filesystems, 2 disks' io, 2 interfaces,
 * system — 50 lines, as Telegraf's standard inputs write them (field names from their READMEs).
 */
function gatherLines(host: string): string[] {
  const lines: string[] = [];
  for (const cpu of ['cpu-total', 'cpu0', 'cpu1', 'cpu2', 'cpu3'])
    lines.push(
      `cpu,cpu=${cpu},host=${host} usage_guest=0,usage_guest_nice=0,usage_idle=91.2,usage_iowait=0.3,usage_irq=0,usage_nice=0,usage_softirq=0.1,usage_steal=0,usage_system=2.9,usage_user=5.5`,
    );
  lines.push(
    `mem,host=${host} active=3051245568i,available=6165823488i,available_percent=74.9,buffered=305684480i,cached=3361579008i,free=2716708864i,inactive=1744838656i,total=8233660416i,used=2067836928i,used_percent=25.1`,
  );
  for (const [path, device] of [
    ['/', 'sda1'],
    ['/boot', 'sda2'],
    ['/var/lib', 'sdb1'],
  ])
    lines.push(
      `disk,device=${device},fstype=ext4,host=${host},mode=rw,path=${path} free=43129176064i,inodes_free=2822178i,inodes_total=3276800i,inodes_used=454622i,total=52576092160i,used=6739496960i,used_percent=13.5`,
    );
  for (const name of ['sda', 'sdb'])
    lines.push(
      `diskio,host=${host},name=${name} io_time=1248772i,iops_in_progress=0i,read_bytes=2153510912i,read_time=263288i,reads=62811i,weighted_io_time=2076052i,write_bytes=9913933824i,write_time=1812764i,writes=1006226i`,
    );
  for (const iface of ['eth0', 'eth1'])
    lines.push(
      `net,host=${host},interface=${iface} bytes_recv=29120598133i,bytes_sent=2416003063i,drop_in=0i,drop_out=0i,err_in=0i,err_out=0i,packets_recv=20633919i,packets_sent=10289574i`,
    );
  lines.push(`system,host=${host} load1=0.42,load15=0.31,load5=0.38,n_cpus=4i,n_users=1i`);
  lines.push(`system,host=${host} uptime=1249632i`);
  // Pad to 50 lines with per-process-like measurements, as a few more inputs would add.
  for (let i = lines.length; i < 50; i++)
    lines.push(
      `processes,host=${host},group=g${i} blocked=0i,running=${i % 3}i,sleeping=${200 + i}i,total=${210 + i}i`,
    );
  return lines;
}

export const LINES_PER_GATHER = 50;

/** Fields in one gather: the points a request carries, the same in every format. */
export function pointsPerGather(): number {
  return parseLineProtocol(gatherLines('h').join('\n'), 'ns').reduce((n, p) => n + Object.keys(p.fields).length, 0);
}

/** Line-protocol bodies: each request is one gather at a fresh millisecond. */
export function lineProtocolRequests(fleet: FleetAgent[], nextSecond: () => number) {
  const bodies = fleet.map((a) => gatherLines(a.serverId).map((l) => `${l} `));
  const auth = fleet.map((a) => ({ authorization: `Bearer ${a.jwt}`, 'content-type': 'text/plain; charset=utf-8' }));
  let i = 0;
  return () => {
    const k = i++ % fleet.length;
    const ts = `${Math.round(nextSecond() * 1000)}`;
    return { body: bodies[k]!.map((l) => l + ts).join('\n'), headers: auth[k]! };
  };
}

/** The same gather after AgentHub's mapping, posted as AgentHub JSON: the same data on the JSON route. */
export function jsonRequests(fleet: FleetAgent[], nextSecond: () => number) {
  const mapped = fleet.map((a) => {
    const [sample] = linePointsToSamples(parseLineProtocol(gatherLines(a.serverId).join('\n'), 'ns'), 0);
    return JSON.stringify(sample?.metrics ?? {});
  });
  const heads = fleet.map((a) => `{"server_id":${JSON.stringify(a.serverId)},"timestamp":`);
  const auth = fleet.map((a) => ({ authorization: `Bearer ${a.jwt}`, 'content-type': 'application/json' }));
  let i = 0;
  return () => {
    const k = i++ % fleet.length;
    return { body: `${heads[k]}${Math.round(nextSecond() * 1000) / 1000},"metrics":${mapped[k]}}`, headers: auth[k]! };
  };
}

/** The same gather as OTLP/JSON: one gauge per field, the line's tags as data point attributes. */
export function otlpRequests(fleet: FleetAgent[], nextSecond: () => number) {
  const templates = fleet.map((a) => {
    const points = parseLineProtocol(gatherLines(a.serverId).join('\n'), 'ns');
    const metrics = points.flatMap((p) =>
      Object.entries(p.fields).map(([field, value]) => ({
        name: `${p.measurement}.${field}`,
        gauge: {
          dataPoints: [
            {
              attributes: Object.entries(p.tags)
                .filter(([k]) => k !== 'host')
                .map(([key, v]) => ({ key, value: { stringValue: v } })),
              timeUnixNano: 'TIME',
              ...(Number.isInteger(value) ? { asInt: String(value) } : { asDouble: value }),
            },
          ],
        },
      })),
    );
    return JSON.stringify({
      resourceMetrics: [
        {
          resource: { attributes: [{ key: 'host.name', value: { stringValue: a.serverId } }] },
          scopeMetrics: [{ scope: { name: 'bench' }, metrics }],
        },
      ],
    }).split('"TIME"');
  });
  const auth = fleet.map((a) => ({ authorization: `Bearer ${a.jwt}`, 'content-type': 'application/json' }));
  let i = 0;
  return () => {
    const k = i++ % fleet.length;
    const ns = `"${Math.round(nextSecond() * 1000)}000000"`;
    return { body: templates[k]!.join(ns), headers: auth[k]! };
  };
}
