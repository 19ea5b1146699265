import { getEventListeners } from 'node:events';
import { createServer } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { createServer as createHttpServer, type Server } from 'node:http';
import { AgentHubClient, AgentHubError } from '../../src/client/index.js';
import { request, sleep, withTimeout } from '../../src/client/http.js';

/** A server that takes requests and never finishes answering: `stall` says how far it goes. */
async function stallingServer(
  stall: 'headers' | 'body',
): Promise<{ url: string; requests: () => number; close(): Promise<void> }> {
  let count = 0;
  const server: Server = createHttpServer((_req, res) => {
    count++;
    if (stall === 'body') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"status":');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => count,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** The SDK's request/retry primitives, against real sockets. */
describe('SDK http primitives', () => {
  let closedPort: number;
  beforeAll(async () => {
    // A port that was just released: connecting to it is refused.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    closedPort = typeof address === 'object' && address ? address.port : 0;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  it('sleeps without leaving abort listeners on a long-lived signal', async () => {
    const controller = new AbortController();
    for (let i = 0; i < 20; i++) await sleep(1, controller.signal);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('rejects at once when the signal has already been aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stopping'));
    await expect(sleep(3_600_000, controller.signal)).rejects.toThrow('stopping');
  });

  it('names the network failure instead of a bare "fetch failed", and marks it retryable', async () => {
    const failing = request(`http://127.0.0.1:${closedPort}`, fetch, { path: '/healthz' });
    await expect(failing).rejects.toBeInstanceOf(AgentHubError);
    await expect(failing).rejects.toMatchObject({ status: 0, code: 'network_error', retryable: true });
    await expect(failing).rejects.toThrow(/ECONNREFUSED/);
  });

  it('fails an attempt the server never answers, or stalls mid-body, as a retryable timeout', async () => {
    for (const stall of ['headers', 'body'] as const) {
      const server = await stallingServer(stall);
      const failing = request(server.url, withTimeout(fetch, 200), {
        path: '/healthz',
        retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 },
      });
      await expect(failing).rejects.toMatchObject({ status: 0, code: 'timeout', retryable: true });
      expect(server.requests()).toBe(2);
      await server.close();
    }
  });

  it("bounds the client's requests by its timeoutMs, and leaves the caller's own abort to the caller", async () => {
    const server = await stallingServer('headers');
    const client = new AgentHubClient({
      server: server.url,
      timeoutMs: 200,
      retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
    });
    await expect(client.startDeviceFlow({ serverId: 'srv-timeout' })).rejects.toMatchObject({ code: 'timeout' });

    const controller = new AbortController();
    const aborted = request(server.url, withTimeout(fetch, 60_000), { path: '/healthz', signal: controller.signal });
    controller.abort(new Error('stopping'));
    await expect(aborted).rejects.toThrow('stopping');
    await server.close();
  });
});
