import { getEventListeners } from 'node:events';
import { createServer } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { AgentHubError } from '../../src/client/index.js';
import { request, sleep } from '../../src/client/http.js';

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
});
