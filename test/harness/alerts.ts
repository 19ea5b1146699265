import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestApp } from './app.js';
import type { Person } from './identity.js';
import { ingest, type IngestingAgent } from './metrics.js';

export interface ReceivedWebhook {
  headers: IncomingMessage['headers'];
  raw: string;
  body: unknown;
}

/**
 * A real HTTP server that receives webhooks. `answer` decides each response: a status, or 'hang'
 * (never answers, to prove the sender's timeout). Deliveries are recorded as they arrive.
 */
export async function startReceiver(
  answer: (n: number) => number | 'hang' | { status: number; headers: Record<string, string> } = () => 200,
) {
  const received: ReceivedWebhook[] = [];
  const hanging = new Set<() => void>();
  let count = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown = raw;
      try {
        body = JSON.parse(raw);
      } catch {
        // text bodies (ntfy)
      }
      received.push({ headers: req.headers, raw, body });
      const decision = answer(++count);
      if (decision === 'hang') {
        hanging.add(() => res.destroy());
        return;
      }
      const { status, headers } = typeof decision === 'number' ? { status: decision, headers: {} } : decision;
      res.writeHead(status, headers).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    close: async () => {
      for (const end of hanging) end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** How docs/ALERTING.md tells a receiver to verify X-AgentHub-Signature. */
export function verifySignature(secret: string, raw: string, header: string | string[] | undefined): boolean {
  if (typeof header !== 'string' || !header.startsWith('sha256=')) return false;
  const expected = Buffer.from(createHmac('sha256', secret).update(raw).digest('hex'));
  const given = Buffer.from(header.slice('sha256='.length));
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export async function createChannel(t: TestApp, person: Person, body: Record<string, unknown>) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/notification-channels',
    headers: person.headers,
    payload: body,
  });
  if (res.statusCode !== 201) throw new Error(`channel creation failed: ${res.statusCode} ${res.body}`);
  return res.json<{ channel: { id: string; secret_hint: string | null }; secret: string | null }>();
}

export async function createRule(t: TestApp, person: Person, body: Record<string, unknown>) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/alert-rules',
    headers: person.headers,
    payload: body,
  });
  if (res.statusCode !== 201) throw new Error(`rule creation failed: ${res.statusCode} ${res.body}`);
  return res.json<{ rule: { id: string } }>().rule;
}

/** Posts one snapshot per entry, `secondsAgo` before `now`, with `cpu.usage` = value. */
export async function postCpu(
  t: TestApp,
  agent: IngestingAgent,
  now: number,
  points: [secondsAgo: number, value: number][],
) {
  const res = await ingest(t, agent.jwt, {
    server_id: agent.serverId,
    samples: points.map(([ago, value]) => ({ timestamp: now - ago, metrics: { cpu: { usage: value } } })),
  });
  if (res.statusCode !== 200) throw new Error(`ingest failed: ${res.statusCode} ${res.body}`);
}

export async function alertsOf(t: TestApp, person: Person, query = '') {
  const res = await t.app.inject({ url: `/api/v1/alerts${query}`, headers: person.headers });
  if (res.statusCode !== 200) throw new Error(`alerts failed: ${res.statusCode} ${res.body}`);
  return res.json<{
    alerts: { id: string; state: string; value: number | null; agent_id: string; rule_id: string }[];
  }>().alerts;
}

/** Runs the sender until nothing is due (or `rounds` rounds). */
export async function deliverAll(t: TestApp, rounds = 5, now?: Date): Promise<void> {
  for (let i = 0; i < rounds; i++) if ((await t.ctx.services.alerting.delivery.tick(now)) === 0) return;
}
