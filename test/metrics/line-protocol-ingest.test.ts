import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { InfluxDB, Point } from '@influxdata/influxdb-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../harness/app.js';
import { stockAgentServer } from '../harness/stock-formats.js';
import { alertsOf, createChannel, createRule, startReceiver } from '../harness/alerts.js';
import { bearer, type Person } from '../harness/identity.js';
import {
  countMetricRows,
  createIngestingAgent,
  nowSeconds,
  scrape,
  storedSamples,
  type IngestingAgent,
} from '../harness/metrics.js';

const FIXTURE = new URL('./formats/fixtures/telegraf-standard.lp', import.meta.url);

/** The fixture's lines with their timestamps moved to `ns` (Telegraf's capture is years old). */
function telegrafLines(ns: bigint): string {
  return readFileSync(FIXTURE, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => line.replace(/ \d{10,19}$/, '') + ` ${ns}`)
    .join('\n');
}

describe('InfluxDB line protocol at POST /api/v2/write', () => {
  let t: TestApp & { url: string };
  let admin: Person;
  let owner: Person;
  let stranger: Person;

  beforeAll(async () => {
    ({ t, admin, owner, stranger } = await stockAgentServer());
  });
  afterAll(() => t.close());

  const agentOf = (label: string) => createIngestingAgent(t, admin, { owner, serverId: `srv-lp-${label}` });

  function write(agent: IngestingAgent, body: string | Buffer, headers: Record<string, string> = {}, query = '') {
    return t.app.inject({
      method: 'POST',
      url: `/api/v2/write?org=acme&bucket=servers${query}`,
      headers: { authorization: `Token ${agent.token}`, 'content-type': 'text/plain; charset=utf-8', ...headers },
      payload: body,
    });
  }

  it('stores what the official InfluxDB client writes with an API token, mapped so charts and reads work', async () => {
    const agent = await agentOf('client');
    const influx = new InfluxDB({ url: t.url, token: agent.token });
    const writer = influx.getWriteApi('acme', 'servers', 'ms', { maxRetries: 0, flushInterval: 0, batchSize: 1000 });
    const at = new Date((nowSeconds() - 30) * 1000);
    writer.useDefaultTags({ host: agent.serverId });
    writer.writePoints([
      new Point('cpu').tag('cpu', 'cpu-total').floatField('usage_idle', 75).floatField('usage_user', 20).timestamp(at),
      new Point('mem').floatField('used_percent', 61.5).intField('used', 2_000_000).timestamp(at),
      new Point('disk').tag('path', '/').tag('device', 'sda1').floatField('used_percent', 40).timestamp(at),
      new Point('net')
        .tag('interface', 'eth0')
        .uintField('bytes_recv', 1000)
        .uintField('bytes_sent', 500)
        .timestamp(at),
      new Point('system').floatField('load1', 0.5).stringField('uptime_format', '1 day, 2:03').timestamp(at),
    ]);
    await writer.close();

    const [stored] = await storedSamples(t, agent.agent.id);
    expect(stored?.ts).toBe(at.getTime() / 1000);
    expect(stored?.data).toMatchObject({
      cpu: { usage_idle: 75, usage_user: 20, usage: 25 },
      mem: { used_percent: 61.5, used: 2_000_000 },
      memory: { usage: 61.5 },
      disk: { '/': { used_percent: 40 }, usage: 40 },
      net: { eth0: { bytes_recv: 1000, bytes_sent: 500 } },
      network: { rx_bytes: 1000, tx_bytes: 500 },
      system: { load1: 0.5, uptime_format: '1 day, 2:03' },
    });

    const latest = await t.app.inject({ url: `/api/v1/metrics/${agent.serverId}`, headers: owner.headers });
    expect(latest.json<{ metrics: { metrics_data: unknown }[] }>().metrics[0]?.metrics_data).toEqual(stored?.data);
    const series = await t.app.inject({
      url: `/api/v1/agents/${agent.agent.id}/metrics/series?path=cpu.usage_user&step=60&from=${at.toISOString()}`,
      headers: owner.headers,
    });
    expect(series.json<{ points: { avg: number }[] }>().points.map((p) => p.avg)).toEqual([20]);
    // Another person learns nothing about the agent.
    expect(
      (await t.app.inject({ url: `/api/v1/metrics/${agent.serverId}`, headers: stranger.headers })).statusCode,
    ).toBe(404);
    expect(
      (await scrape(t, 'agenthub_ingest_requests_total')).get('{format="line_protocol",status="204"}'),
    ).toBeGreaterThan(0);
  });

  it("maps Telegraf's own output for cpu, mem, disk, diskio, net and system, gzip-compressed as Telegraf sends it", async () => {
    const agent = await agentOf('telegraf');
    const ns = BigInt(nowSeconds() - 10) * 1_000_000_000n;
    const body = telegrafLines(ns).replace(/host=[^,\s]+/g, `host=${agent.serverId}`);
    const res = await write(agent, gzipSync(body), { 'content-encoding': 'gzip' });
    expect(res.statusCode, res.body).toBe(204);
    const [stored] = await storedSamples(t, agent.agent.id);
    const data = stored?.data as Record<string, Record<string, unknown>>;
    for (const path of ['cpu.usage', 'memory.usage', 'disk.usage', 'network.rx_bytes', 'network.tx_bytes']) {
      const [top, leaf] = path.split('.') as [string, string];
      expect(typeof data[top]?.[leaf], path).toBe('number');
    }
    expect(data['mem']?.['used_percent']).toEqual(expect.any(Number));
    expect(data['system']?.['load1']).toEqual(expect.any(Number));
  });

  it('takes a Bearer access JWT as well, and a retried body is stored once', async () => {
    const agent = await agentOf('bearer');
    const body = `mem,host=${agent.serverId} used_percent=12.5 ${nowSeconds() - 5}\n`;
    for (let i = 0; i < 2; i++) {
      const res = await write(agent, body, bearer(agent.jwt), '&precision=s');
      expect(res.statusCode, res.body).toBe(204);
    }
    expect(await countMetricRows(t, agent.agent.id)).toBe(1);
  });

  it('fires a threshold alert on a mapped Telegraf path', async () => {
    const agent = await agentOf('alert');
    const receiver = await startReceiver();
    try {
      const channel = await createChannel(t, owner, { kind: 'webhook', name: 'lp hook', url: receiver.url });
      await createRule(t, owner, {
        name: 'memory high',
        kind: 'metric_threshold',
        agent_id: agent.agent.id,
        path: 'mem.used_percent',
        op: '>',
        threshold: 90,
        for: '1m',
        severity: 'critical',
        channel_ids: [channel.channel.id],
      });
      const now = nowSeconds();
      const lines = [90, 60, 30, 0].map((ago) => `mem,host=${agent.serverId} used_percent=97 ${now - ago}`).join('\n');
      expect((await write(agent, lines, {}, '&precision=s')).statusCode).toBe(204);
      await t.ctx.services.alerting.evaluation.evaluateAll(new Date(now * 1000));
      await t.ctx.services.alerting.evaluation.evaluateAll(new Date(now * 1000));
      const alerts = (await alertsOf(t, owner)).filter((a) => a.agent_id === agent.agent.id);
      expect(alerts.map((a) => [a.state, a.value])).toEqual([['firing', 97]]);
    } finally {
      await receiver.close();
    }
  });

  describe('bad input: an InfluxDB-shaped 4xx and nothing stored', () => {
    let agent: IngestingAgent;
    beforeAll(async () => {
      agent = await agentOf('bad');
    });

    async function refused(res: Awaited<ReturnType<typeof write>>, status: number, code: string) {
      expect(res.statusCode, res.body).toBe(status);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      const body = res.json<{ code: string; message: string; line?: number }>();
      expect(body.code).toBe(code);
      expect(body.message).toEqual(expect.any(String));
      expect(res.body).not.toMatch(/at .*\.ts:\d+|select |insert /i);
      expect(await countMetricRows(t, agent.agent.id)).toBe(0);
      return body;
    }

    it('refuses a body with one bad line, naming the line', async () => {
      const now = nowSeconds();
      const body = [
        `cpu,host=${agent.serverId} usage_idle=90 ${now}`,
        `mem,host=${agent.serverId} used_percent= ${now}`,
        `disk,host=${agent.serverId},path=/ used_percent=4 ${now}`,
      ].join('\n');
      const error = await refused(await write(agent, body, {}, '&precision=s'), 400, 'invalid');
      expect(error.line).toBe(2);
    });

    it('refuses garbage, an unknown precision, a timestamp outside the window and a 100k-field line', async () => {
      await refused(await write(agent, '\u0000\u0001 garbage ,,, ==='), 400, 'invalid');
      await refused(await write(agent, `cpu usage_idle=1`, {}, '&precision=h'), 400, 'invalid');
      await refused(
        await write(agent, `cpu usage_idle=1 ${nowSeconds() - 30 * 86_400}`, {}, '&precision=s'),
        400,
        'invalid',
      );
      const wide = `wide ${Array.from({ length: 100_000 }, (_, i) => `f${i}=1`).join(',')}`;
      await refused(await write(agent, wide), 400, 'invalid');
    });

    it("refuses another agent's host with 403 and a gzip bomb with 413", async () => {
      const error = await refused(
        await write(agent, `cpu,host=srv-someone-else usage_idle=1 ${nowSeconds()}`, {}, '&precision=s'),
        403,
        'forbidden',
      );
      expect(error.message).toContain('srv-someone-else');
      const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 'a'));
      await refused(await write(agent, bomb, { 'content-encoding': 'gzip' }), 413, 'request too large');
    });

    it('answers a missing or made-up token 401 in the same shape', async () => {
      const body = `cpu usage_idle=1 ${nowSeconds()}`;
      await refused(await write(agent, body, { authorization: '' }, '&precision=s'), 401, 'unauthorized');
      await refused(
        await write(agent, body, { authorization: 'Token agt_madeup_0000000000000000000000' }, '&precision=s'),
        401,
        'unauthorized',
      );
    });
  });
});
