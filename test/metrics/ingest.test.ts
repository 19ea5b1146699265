import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../harness/app.js';
import { signInAdmin, type Person } from '../harness/identity.js';
import {
  countMetricRows,
  createIngestingAgent,
  ingest,
  nowSeconds,
  scrape,
  storedSamples,
} from '../harness/metrics.js';

const BODY_LIMIT = 32 * 1024;
const MAX_SAMPLES = 50;
const WEEK = 7 * 86_400;

const gzipHeaders = { 'content-type': 'application/json', 'content-encoding': 'gzip' };

describe('POST /api/v1/metrics', () => {
  let t: TestApp;
  let admin: Person;
  const newAgent = () => createIngestingAgent(t, admin);

  /** `count` samples one minute apart, ending a minute ago, with `cpu.usage` = their index. */
  function samples(count: number, end = nowSeconds() - 60) {
    return Array.from({ length: count }, (_, i) => ({
      timestamp: end - 60 * (count - 1 - i),
      metrics: { cpu: { usage: i } },
    }));
  }

  beforeAll(async () => {
    t = await createTestApp({ config: { INGEST_BODY_LIMIT_BYTES: BODY_LIMIT, INGEST_MAX_SAMPLES: MAX_SAMPLES } });
    admin = await signInAdmin(t);
  });
  afterAll(() => t.close());

  it('stores a single snapshot with the agent timestamp, the server receive time and the metrics as sent', async () => {
    const a = await newAgent();
    const timestamp = nowSeconds() - 30 + 0.25;
    const metrics = { cpu: { usage: 12.5, cores: 8 }, up: true, host: 'web-1' };
    const res = await ingest(t, a.jwt, { server_id: a.serverId, timestamp, metrics });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'success', message: 'Metrics received', accepted: 1 });

    const read = await t.app.inject({ url: `/api/v1/metrics/${a.serverId}`, headers: admin.headers });
    expect(read.statusCode).toBe(200);
    const [row] = read.json<{ metrics: { timestamp: string; received_at: string; metrics_data: unknown }[] }>().metrics;
    expect(row).toMatchObject({ timestamp: new Date(timestamp * 1000).toISOString(), metrics_data: metrics });
    expect(Date.parse(row!.received_at)).toBeGreaterThan(timestamp * 1000);
    expect(await storedSamples(t, a.agent.id)).toEqual([{ ts: timestamp, data: metrics }]);
  });

  it('accepts the same request at the alias POST /metrics', async () => {
    const a = await newAgent();
    const res = await t.app.inject({
      method: 'POST',
      url: '/metrics',
      headers: { authorization: `Bearer ${a.jwt}` },
      payload: { server_id: a.serverId, timestamp: nowSeconds(), metrics: { mem: { used: 1 } } },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'success', message: 'Metrics received', accepted: 1 });
    expect(await countMetricRows(t, a.agent.id)).toBe(1);
  });

  it('stores every sample of a batch of INGEST_MAX_SAMPLES samples', async () => {
    const a = await newAgent();
    const batch = samples(MAX_SAMPLES);
    const res = await ingest(t, a.jwt, { server_id: a.serverId, samples: batch });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ accepted: MAX_SAMPLES });
    expect(await storedSamples(t, a.agent.id)).toEqual(batch.map((s) => ({ ts: s.timestamp, data: s.metrics })));
  });

  it('refuses a batch of more than INGEST_MAX_SAMPLES samples with 400 and stores none of it', async () => {
    const a = await newAgent();
    const res = await ingest(t, a.jwt, { server_id: a.serverId, samples: samples(MAX_SAMPLES + 1) });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'invalid_request', details: [{ path: 'body.samples' }] });
    expect(await countMetricRows(t, a.agent.id)).toBe(0);
  });

  it('accepts a gzip body (Content-Encoding: gzip) exactly like the plain one', async () => {
    const a = await newAgent();
    const batch = samples(5);
    const res = await ingest(
      t,
      a.jwt,
      gzipSync(JSON.stringify({ server_id: a.serverId, samples: batch })),
      gzipHeaders,
    );
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ accepted: 5 });
    expect(await storedSamples(t, a.agent.id)).toEqual(batch.map((s) => ({ ts: s.timestamp, data: s.metrics })));
  });

  it('refuses a corrupt or truncated gzip body with 400 and stores nothing', async () => {
    const a = await newAgent();
    const good = gzipSync(JSON.stringify({ server_id: a.serverId, samples: samples(3) }));
    const corrupt = Buffer.from(good);
    corrupt.fill(0x41, 10, 30); // keeps the gzip header, garbles the deflate stream
    for (const body of [Buffer.from('this is not gzip'), corrupt, good.subarray(0, good.length - 8)]) {
      const res = await ingest(t, a.jwt, body, gzipHeaders);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: 'invalid_request', message: 'The gzip body is corrupt.' });
    }
    const plainButLabelledGzip = await ingest(
      t,
      a.jwt,
      JSON.stringify({ server_id: a.serverId, timestamp: nowSeconds(), metrics: {} }),
      gzipHeaders,
    );
    expect(plainButLabelledGzip.statusCode).toBe(400);
    expect(await countMetricRows(t, a.agent.id)).toBe(0);
  });

  it('refuses content encodings other than gzip with 415', async () => {
    const a = await newAgent();
    const res = await ingest(t, a.jwt, gzipSync(JSON.stringify({ server_id: a.serverId, samples: samples(1) })), {
      'content-type': 'application/json',
      'content-encoding': 'br',
    });
    expect(res.statusCode).toBe(415);
    expect(res.json()).toMatchObject({ error: 'unsupported_media_type' });
    expect(await countMetricRows(t, a.agent.id)).toBe(0);
  });

  it('refuses a small gzip bomb that inflates beyond INGEST_BODY_LIMIT_BYTES with 413 payload_too_large and stores nothing', async () => {
    const a = await newAgent();
    const inflated = JSON.stringify({
      server_id: a.serverId,
      samples: [
        { timestamp: nowSeconds() - 1, metrics: { ok: 1 } },
        { timestamp: nowSeconds(), metrics: { pad: ' '.repeat(2_000_000) } },
      ],
    });
    const bomb = gzipSync(inflated, { level: 9 });
    expect(bomb.length).toBeLessThan(BODY_LIMIT / 4);
    expect(inflated.length).toBeGreaterThan(BODY_LIMIT * 50);
    const res = await ingest(t, a.jwt, bomb, gzipHeaders);
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ error: 'payload_too_large' });
    expect(await countMetricRows(t, a.agent.id)).toBe(0);
  });

  it('refuses a plain body beyond INGEST_BODY_LIMIT_BYTES with 413 payload_too_large and stores nothing, while one just under it is stored', async () => {
    const a = await newAgent();
    const body = (padding: number) =>
      JSON.stringify({
        server_id: a.serverId,
        samples: [1, 2, 3, 4, 5, 6, 7, 8].map((i) => ({
          timestamp: nowSeconds() - i,
          metrics: { note: 'x'.repeat(padding) },
        })),
      });
    let padding = 4000;
    while (body(padding).length > BODY_LIMIT) padding -= 10;
    const under = await ingest(t, a.jwt, body(padding), { 'content-type': 'application/json' });
    expect(under.statusCode).toBe(200);
    const b = await newAgent();
    const over = await ingest(
      t,
      b.jwt,
      JSON.stringify({ server_id: b.serverId, timestamp: nowSeconds(), metrics: { note: 'x'.repeat(BODY_LIMIT) } }),
      { 'content-type': 'application/json' },
    );
    expect(over.statusCode).toBe(413);
    expect(over.json()).toMatchObject({ error: 'payload_too_large' });
    expect(await countMetricRows(t, a.agent.id)).toBe(8);
    expect(await countMetricRows(t, b.agent.id)).toBe(0);
  });

  it('answers 403 server_id_mismatch with expected and received for either body shape, and stores nothing', async () => {
    const a = await newAgent();
    for (const body of [
      { server_id: 'someone-else', timestamp: nowSeconds(), metrics: { cpu: 1 } },
      { server_id: 'someone-else', samples: samples(2) },
    ]) {
      const res = await ingest(t, a.jwt, body);
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({
        error: 'server_id_mismatch',
        expected: a.serverId,
        received: 'someone-else',
      });
    }
    expect(await countMetricRows(t, a.agent.id)).toBe(0);
  });

  it('accepts timestamps from 7 days back (a replayed spool) to 5 minutes ahead (clock skew)', async () => {
    const a = await newAgent();
    const now = nowSeconds();
    const edge = [now - WEEK + 120, now - 86_400, now + 240];
    const res = await ingest(t, a.jwt, {
      server_id: a.serverId,
      samples: edge.map((timestamp) => ({ timestamp, metrics: { x: 1 } })),
    });
    expect(res.statusCode).toBe(200);
    expect((await storedSamples(t, a.agent.id)).map((s) => s.ts)).toEqual(edge);
  });

  it('refuses a sample outside the window with 400 naming it, and stores none of the request', async () => {
    const a = await newAgent();
    const now = nowSeconds();
    const tooOld = await ingest(t, a.jwt, {
      server_id: a.serverId,
      samples: [now - 10, now - 20, now - WEEK - 120, now - 30].map((timestamp) => ({ timestamp, metrics: { x: 1 } })),
    });
    expect(tooOld.statusCode).toBe(400);
    expect(tooOld.json()).toMatchObject({
      error: 'invalid_request',
      message: expect.stringContaining('samples[2].timestamp'),
      details: [{ path: 'samples[2].timestamp' }],
    });
    const tooNew = await ingest(t, a.jwt, {
      server_id: a.serverId,
      samples: [now, now + 600].map((timestamp) => ({ timestamp, metrics: { x: 1 } })),
    });
    expect(tooNew.statusCode).toBe(400);
    expect(tooNew.json()).toMatchObject({ details: [{ path: 'samples[1].timestamp' }] });
    // The classic agent bug: milliseconds instead of seconds.
    const millis = await ingest(t, a.jwt, { server_id: a.serverId, timestamp: Date.now(), metrics: { x: 1 } });
    expect(millis.statusCode).toBe(400);
    expect(millis.json()).toMatchObject({ details: [{ path: 'timestamp' }] });
    expect(await countMetricRows(t, a.agent.id)).toBe(0);
  });

  it('stores a timestamp repeated within one request once, keeping the first snapshot', async () => {
    const a = await newAgent();
    const now = nowSeconds() - 5;
    const res = await ingest(t, a.jwt, {
      server_id: a.serverId,
      samples: [
        { timestamp: now, metrics: { v: 'first' } },
        { timestamp: now, metrics: { v: 'second' } },
        // Postgres keeps what every driver round-trips exactly: milliseconds.
        { timestamp: now + 0.0001, metrics: { v: 'sub-millisecond' } },
        { timestamp: now + 1, metrics: { v: 'other' } },
      ],
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ accepted: 2 });
    expect(await storedSamples(t, a.agent.id)).toEqual([
      { ts: now, data: { v: 'first' } },
      { ts: now + 1, data: { v: 'other' } },
    ]);
  });

  it('stores a retried request once and still answers success with accepted', async () => {
    const a = await newAgent();
    const body = { server_id: a.serverId, samples: samples(3) };
    for (let attempt = 0; attempt < 3; attempt++) {
      const res = await ingest(t, a.jwt, body);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ status: 'success', message: 'Metrics received', accepted: 3 });
    }
    const changed = { server_id: a.serverId, samples: body.samples.map((s) => ({ ...s, metrics: { changed: true } })) };
    expect((await ingest(t, a.jwt, changed)).statusCode).toBe(200);
    expect(await storedSamples(t, a.agent.id)).toEqual(body.samples.map((s) => ({ ts: s.timestamp, data: s.metrics })));
  });

  it('stores concurrent copies of one request once, answering every copy with success', async () => {
    const a = await newAgent();
    const body = { server_id: a.serverId, samples: samples(4) };
    const responses = await Promise.all(Array.from({ length: 8 }, () => ingest(t, a.jwt, body)));
    expect(responses.map((r) => r.statusCode)).toEqual(Array(8).fill(200));
    expect(await countMetricRows(t, a.agent.id)).toBe(4);
  });

  it('marks the agent seen: last_seen_at is set and GET /api/v1/agents shows it online', async () => {
    const a = await newAgent();
    const listed = async () =>
      (await t.app.inject({ url: '/api/v1/agents', headers: admin.headers }))
        .json<{ agents: { id: string; online: boolean; last_seen_at: string | null }[] }>()
        .agents.find((agent) => agent.id === a.agent.id);
    expect(await listed()).toMatchObject({ online: false, last_seen_at: null });
    expect((await ingest(t, a.jwt, { server_id: a.serverId, timestamp: nowSeconds(), metrics: {} })).statusCode).toBe(
      200,
    );
    const after = await listed();
    expect(after).toMatchObject({ online: true, last_seen_at: expect.any(String) });
    const single = await t.app.inject({ url: `/api/v1/agents/${a.agent.id}`, headers: admin.headers });
    expect(single.json()).toMatchObject({ agent: { online: true, last_seen_at: after!.last_seen_at } });
  });

  it('counts committed samples, rejections by reason and flush durations in GET /metrics', async () => {
    const a = await newAgent();
    const value = async (name: string, labels = '') => (await scrape(t, name)).get(labels) ?? 0;
    const before = {
      ingested: await value('agenthub_metrics_samples_ingested_total'),
      mismatch: await value('agenthub_ingest_rejected_total', '{reason="server_id_mismatch"}'),
      invalid: await value('agenthub_ingest_rejected_total', '{reason="invalid"}'),
      window: await value('agenthub_ingest_rejected_total', '{reason="out_of_window"}'),
      flushes: await value('agenthub_ingest_flush_duration_seconds_count'),
      batchRows: await value('agenthub_ingest_batch_rows_sum'),
    };
    expect((await ingest(t, a.jwt, { server_id: a.serverId, samples: samples(3) })).statusCode).toBe(200);
    expect((await ingest(t, a.jwt, { server_id: 'nope', samples: samples(3) })).statusCode).toBe(403);
    expect((await ingest(t, a.jwt, { server_id: a.serverId, timestamp: nowSeconds(), metrics: [] })).statusCode).toBe(
      400,
    );
    expect((await ingest(t, a.jwt, { server_id: a.serverId, timestamp: 1, metrics: {} })).statusCode).toBe(400);

    expect(await value('agenthub_metrics_samples_ingested_total')).toBe(before.ingested + 3);
    expect(await value('agenthub_ingest_rejected_total', '{reason="server_id_mismatch"}')).toBe(before.mismatch + 1);
    expect(await value('agenthub_ingest_rejected_total', '{reason="invalid"}')).toBe(before.invalid + 1);
    expect(await value('agenthub_ingest_rejected_total', '{reason="out_of_window"}')).toBe(before.window + 1);
    expect(await value('agenthub_ingest_flush_duration_seconds_count')).toBe(before.flushes + 1);
    expect(await value('agenthub_ingest_batch_rows_sum')).toBe(before.batchRows + 3);
    expect((await scrape(t, 'agenthub_ingest_clock_skew_seconds_count')).get('')).toBeGreaterThan(0);
  });
});
