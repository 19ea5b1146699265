import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../harness/app.js';
import { signInAdmin, type Person } from '../harness/identity.js';
import {
  countMetricRows,
  createIngestingAgent,
  ingest,
  nowSeconds,
  storedSamples,
  type IngestingAgent,
} from '../harness/metrics.js';
import { validMetrics } from './metrics-arbitraries.js';

/** `{a: {a: ... {value: 1}}}` with `levels` objects, the outermost one included. */
function nested(levels: number): Record<string, unknown> {
  let node: Record<string, unknown> = { value: 1 };
  for (let level = 1; level < levels; level++) node = { a: node };
  return node;
}

const keys = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`k${i}`, i]));

/** A hostile request: an object body, or raw JSON text for what JSON.stringify cannot produce. */
type Hostile = (serverId: string, now: number) => object | string;

const single = (metrics: unknown) => (s: string, now: number) => ({ server_id: s, timestamp: now, metrics });
/** A valid sample first, so refusing the request proves nothing of it was stored. */
const afterValid = (metrics: unknown) => (s: string, now: number) => ({
  server_id: s,
  samples: [
    { timestamp: now - 1, metrics: { ok: 1 } },
    { timestamp: now, metrics },
  ],
});
const raw = (metricsJson: string) => (s: string, now: number) =>
  `{"server_id":${JSON.stringify(s)},"samples":[{"timestamp":${now - 1},"metrics":{"ok":1}},{"timestamp":${now},"metrics":${metricsJson}}]}`;
const withTimestamp = (timestamp: unknown) => (s: string) => ({ server_id: s, timestamp, metrics: { ok: 1 } });
const sampleTimestamp = (timestamp: unknown) => (s: string, now: number) => ({
  server_id: s,
  samples: [
    { timestamp: now, metrics: { ok: 1 } },
    { timestamp, metrics: { ok: 1 } },
  ],
});

const hostile: [string, Hostile][] = [
  ['metrics nested seven levels deep', single(nested(7))],
  ['a batch whose second sample is nested seven levels deep', afterValid(nested(7))],
  ['metrics nested 100,000 levels deep', raw('{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000))],
  ['a key of 129 characters', afterValid({ ['k'.repeat(129)]: 1 })],
  ['a key of 200,000 characters', afterValid({ cpu: { ['k'.repeat(200_000)]: 1 } })],
  ['an empty key', afterValid({ '': 1 })],
  ['1001 keys', afterValid(keys(1001))],
  ['1001 keys spread over nested objects', afterValid({ a: keys(600), b: keys(399) })],
  ['a string of 4097 characters', afterValid({ note: 'x'.repeat(4097) })],
  ['metrics that are an array', afterValid([{ cpu: 1 }])],
  ['an array inside metrics', afterValid({ cpu: { cores: [1, 2, 3] } })],
  ['metrics that are null', afterValid(null)],
  ['a null inside metrics', afterValid({ cpu: null })],
  ['metrics that are a string', afterValid('cpu=1')],
  ['metrics that are a number', afterValid(42)],
  ['metrics that are a boolean', afterValid(true)],
  ['a string containing \\u0000', afterValid({ model: 'Xeon\u0000' })],
  ['a key containing \\u0000', afterValid({ 'cpu\u0000': 1 })],
  ['a string with an unpaired surrogate', raw('{"label":"\\ud800"}')],
  ['a key with an unpaired surrogate', raw('{"\\udc00x":1}')],
  ['a number too large for a double (1e400)', raw('{"load":1e400}')],
  ['a negative number too large for a double (-1e400)', raw('{"load":-1e400}')],
  ['a NaN literal', raw('{"load":NaN}')],
  ['an Infinity literal', raw('{"load":Infinity}')],
  ['a __proto__ key', raw('{"__proto__":{"polluted":1}}')],
  ['a constructor.prototype key', raw('{"constructor":{"prototype":{"polluted":1}}}')],
  ['a timestamp given as a numeric string', withTimestamp(String(nowSeconds()))],
  ['a timestamp given as an ISO string', withTimestamp(new Date().toISOString())],
  ['a null timestamp', withTimestamp(null)],
  ['a boolean timestamp', withTimestamp(true)],
  ['an object timestamp', withTimestamp({ seconds: nowSeconds() })],
  ['a sample timestamp given as a string', sampleTimestamp('yesterday')],
  [
    'a sample without a timestamp',
    (s, now) => ({ server_id: s, samples: [{ timestamp: now, metrics: {} }, { metrics: {} }] }),
  ],
  [
    'a sample without metrics',
    (s, now) => ({ server_id: s, samples: [{ timestamp: now, metrics: {} }, { timestamp: now - 1 }] }),
  ],
  ['an infinite timestamp (1e400)', (s) => `{"server_id":${JSON.stringify(s)},"timestamp":1e400,"metrics":{}}`],
  ['a negative timestamp', withTimestamp(-1)],
  [
    'both body shapes at once',
    (s, now) => ({ server_id: s, timestamp: now, metrics: {}, samples: [{ timestamp: now, metrics: {} }] }),
  ],
  ['neither body shape', (s) => ({ server_id: s })],
  ['a timestamp without metrics', (s, now) => ({ server_id: s, timestamp: now })],
  ['metrics without a timestamp', (s) => ({ server_id: s, metrics: { ok: 1 } })],
  ['an empty samples array', (s) => ({ server_id: s, samples: [] })],
  ['samples that are an object', (s, now) => ({ server_id: s, samples: { 0: { timestamp: now, metrics: {} } } })],
  ['a sample that is not an object', (s, now) => ({ server_id: s, samples: [{ timestamp: now, metrics: {} }, 7] })],
  ['no server_id', (_s, now) => ({ timestamp: now, metrics: { ok: 1 } })],
  ['an empty server_id', (_s, now) => ({ server_id: '', timestamp: now, metrics: { ok: 1 } })],
  ['a numeric server_id', (_s, now) => ({ server_id: 7, timestamp: now, metrics: { ok: 1 } })],
  ['a body that is an array', (s, now) => [{ server_id: s, timestamp: now, metrics: {} }]],
  ['a body that is a JSON string', () => '"metrics"'],
  ['a body that is JSON null', () => 'null'],
  ['a body that is not JSON', () => '{"server_id": '],
];

describe('hostile and malformed metric submissions', () => {
  let t: TestApp;
  let admin: Person;
  let agent: IngestingAgent;
  beforeAll(async () => {
    t = await createTestApp();
    admin = await signInAdmin(t);
    agent = await createIngestingAgent(t, admin);
  });
  afterAll(() => t.close());

  it.each(hostile)('refuses %s with 400 invalid_request and stores nothing', async (_name, build) => {
    const body = build(agent.serverId, nowSeconds());
    const res = await ingest(t, agent.jwt, typeof body === 'string' ? body : JSON.stringify(body), {
      'content-type': 'application/json',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'invalid_request', message: expect.any(String) });
    expect(res.body).not.toMatch(/\bat \S+:\d+|stack|select |insert /i);
    expect(await countMetricRows(t)).toBe(0);
  });

  it('names the refused sample and the path inside it', async () => {
    const now = nowSeconds();
    const res = await ingest(t, agent.jwt, {
      server_id: agent.serverId,
      samples: [
        { timestamp: now - 2, metrics: { ok: 1 } },
        { timestamp: now - 1, metrics: { ok: 2 } },
        { timestamp: now, metrics: { disk: { root: { used: [1] } } } },
      ],
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      details: [{ path: 'samples[2].metrics', message: expect.stringContaining('metrics.disk.root.used') }],
    });
  });

  it('still ingests normally after every refusal', async () => {
    const res = await ingest(t, agent.jwt, { server_id: agent.serverId, timestamp: nowSeconds(), metrics: { ok: 1 } });
    expect(res.statusCode).toBe(200);
    expect(await countMetricRows(t, agent.agent.id)).toBe(1);
  });

  it('accepts any metrics object within the limits and stores it unchanged (property)', async () => {
    const other = await createIngestingAgent(t, admin);
    let timestamp = nowSeconds() - 3600;
    await fc.assert(
      fc.asyncProperty(validMetrics, async (metrics) => {
        timestamp += 1;
        const res = await ingest(t, other.jwt, { server_id: other.serverId, timestamp, metrics });
        expect(res.statusCode).toBe(200);
        const stored = (await storedSamples(t, other.agent.id)).find((s) => s.ts === timestamp);
        // What the agent sent is the JSON text, so compare with its parse (-0 travels as 0).
        expect(stored?.data).toEqual(JSON.parse(JSON.stringify(metrics)));
      }),
      { numRuns: 60 },
    );
  });
});
