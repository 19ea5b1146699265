import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentHubClient, type Sample } from '../../src/client/index.js';
import type { UserActor } from '../../src/identity/actor.model.js';
import { startTestServer, type TestApp } from '../harness/app.js';
import { countMetricRows } from '../harness/metrics.js';
import { createOwner, recordingFetch } from '../harness/sdk.js';

/**
 * Issue 24, item 1, as the SDK sees it: a body over the server's limit is answered 413 (not EPIPE while the
 * SDK is still uploading it), and a 413 is final: the SDK never sends the same body again.
 */
const INGEST_LIMIT = 64 * 1024;

/** About 12 MB of JSON that gzip cannot shrink much (random hex): the SDK uploads ~6 MB after the 413. */
function incompressibleBatch(): Sample[] {
  const now = Math.floor(Date.now() / 1000);
  return Array.from({ length: 1000 }, (_, i) => ({
    timestamp: now - 1000 + i,
    metrics: {
      a: randomBytes(2000).toString('hex'),
      b: randomBytes(2000).toString('hex'),
      c: randomBytes(2000).toString('hex'),
    },
  }));
}

describe('the SDK and a body over the limit (issue 24)', () => {
  let t: TestApp & { url: string };
  let owner: UserActor;

  beforeAll(async () => {
    t = await startTestServer({ config: { INGEST_BODY_LIMIT_BYTES: INGEST_LIMIT } });
    owner = await createOwner(t, 'admin');
  });
  afterAll(() => t.close());

  async function client(serverId: string) {
    const { agent } = await t.ctx.services.agents.create({ name: serverId, serverId }, { actor: owner });
    const { token } = await t.ctx.services.agents.issueToken(agent.id, {}, { actor: owner });
    const recorder = recordingFetch();
    const sdk = new AgentHubClient({
      server: t.url,
      credentials: { kind: 'api-token', apiToken: token },
      fetch: recorder.fetch,
    });
    await sdk.me();
    recorder.exchanges.length = 0;
    return { sdk, agentId: agent.id, exchanges: recorder.exchanges };
  }

  it('sendMetrics with a 12 MB batch gets 413 payload_too_large once, not retried, nothing stored', async () => {
    const { sdk, agentId, exchanges } = await client('srv-oversized-1');
    const sending = sdk.sendMetrics('srv-oversized-1', incompressibleBatch(), {
      retry: { attempts: 6, baseDelayMs: 1, maxDelayMs: 1 },
    });
    await expect(sending).rejects.toMatchObject({ status: 413, code: 'payload_too_large', retryable: false });
    expect(exchanges.map((e) => [e.path, e.status, e.requestHeaders.get('content-encoding')])).toEqual([
      ['/api/v1/metrics', 413, 'gzip'],
    ]);
    expect(await countMetricRows(t, agentId)).toBe(0);
  });

  it('postMessage with a 12 MB body (over BODY_LIMIT_BYTES) gets 413 once, though it retries 503s', async () => {
    const { sdk, exchanges } = await client('srv-oversized-2');
    await expect(sdk.postMessage(randomUUID(), 'x'.repeat(12 * 1024 * 1024))).rejects.toMatchObject({
      status: 413,
      code: 'payload_too_large',
      retryable: false,
    });
    expect(exchanges.map((e) => e.status)).toEqual([413]);
  });
});
