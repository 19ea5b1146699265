import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestApp } from '../harness/app.js';
import { bearer, createAgentWithToken, signInAdmin, type Person } from '../harness/identity.js';
import { nowSeconds, storedSamples } from '../harness/metrics.js';
import { openRaw, rawGet, rawRequest, statusOf, type RawConnection } from '../harness/raw-http.js';
import { accessTokenFor, createRoomAgent } from '../harness/rooms.js';
import { closeAllSockets, connectAgent, roundTrip, sleep } from '../harness/sockets.js';

/**
 * Slow clients (slowloris, trickled bodies, idle keep-alive) and oversized
 * request heads against a real listening server, over raw TCP. The timeouts are
 * lowered through the configuration so the test takes seconds; each case checks
 * the server's answer, that it closes the connection no earlier than the
 * configured timeout, and that it still serves a normal request afterwards.
 * Only lower bounds are asserted on time: an upper bound would measure the
 * machine, and a hang is caught by HANG_MS instead.
 */
const HEADERS_TIMEOUT_MS = 1000;
const REQUEST_TIMEOUT_MS = 2000;
const KEEP_ALIVE_TIMEOUT_MS = 1000;
/** A close that has not come by then never will: that is a hang, not a slow machine. */
const HANG_MS = 20_000;
/** Client and server start their clocks a moment apart. */
const CLOCK_SLACK_MS = 50;
const SLOW_CLIENTS = 200;

function portOf(url: string): number {
  return Number(new URL(url).port);
}

/** Resolves with the connection's lifetime once the server closed it; fails if it never does. */
async function closedByServer(connection: RawConnection): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the server never closed the connection within ${HANG_MS} ms`)), HANG_MS);
  });
  try {
    return await Promise.race([connection.closed, hang]);
  } finally {
    clearTimeout(timer);
  }
}

/** Opens a request whose header value never ends, one byte every `everyMs`. */
async function slowloris(port: number, everyMs = 100): Promise<RawConnection> {
  const connection = await openRaw(port);
  connection.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Never-Ending: ');
  connection.trickle('a'.repeat(100_000), everyMs);
  return connection;
}

/** The JSON body of a raw response: the envelope every error carries (API.md). */
function envelopeOf(response: string): { error: string; message: string; request_id: string } {
  return JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4)) as {
    error: string;
    message: string;
    request_id: string;
  };
}

function request(head: string, headerLines: string[] = []): string {
  return [head, 'Host: localhost', 'Connection: close', ...headerLines, '', ''].join('\r\n');
}

describe('slow clients and header floods against a listening server', { timeout: 60_000 }, () => {
  /** Timeouts of a second or so. */
  let strict: TestApp & { url: string };
  /** The default timeouts, on the same database: slow clients stay connected for the whole test. */
  let patient: TestApp & { url: string };
  let port: number;
  let admin: Person;

  const expectStillServing = async (on = port) => expect((await rawGet(on, '/healthz')).status).toBe(200);

  beforeAll(async () => {
    const rateLimits = { RATE_LIMIT_ANON: 100_000, RATE_LIMIT_AUTHENTICATED: 100_000 };
    strict = await startTestServer({
      config: { HEADERS_TIMEOUT_MS, REQUEST_TIMEOUT_MS, KEEP_ALIVE_TIMEOUT_MS, ...rateLimits },
    });
    port = portOf(strict.url);
    patient = await startTestServer({ database: strict.database, config: rateLimits });
    admin = await signInAdmin(strict);
  });
  afterAll(async () => {
    closeAllSockets();
    await patient.close();
    await strict.close();
  });

  it('gives the HTTP server the configured timeouts, and by default 30 s per request and 72 s of keep-alive', () => {
    expect(strict.app.server).toMatchObject({
      headersTimeout: HEADERS_TIMEOUT_MS,
      requestTimeout: REQUEST_TIMEOUT_MS,
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    });
    expect(patient.app.server).toMatchObject({
      headersTimeout: 30_000,
      requestTimeout: 30_000,
      keepAliveTimeout: 72_000,
    });
  });

  describe('slowloris', () => {
    it('answers 408 and closes a connection whose headers arrive a byte at a time once HEADERS_TIMEOUT_MS has passed', async () => {
      const connection = await slowloris(port);
      const lifetime = await closedByServer(connection);
      expect(connection.status()).toBe(408);
      const envelope = envelopeOf(connection.received());
      expect(envelope).toMatchObject({ error: 'request_timeout', request_id: expect.any(String) });
      expect(connection.received()).toContain(`x-request-id: ${envelope.request_id}\r\n`);
      expect(lifetime).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - CLOCK_SLACK_MS);
      await expectStillServing();
    });

    it('answers 408 and closes a connection that sends nothing at all after HEADERS_TIMEOUT_MS', async () => {
      const connection = await openRaw(port);
      const lifetime = await closedByServer(connection);
      expect(connection.status()).toBe(408);
      expect(lifetime).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - CLOCK_SLACK_MS);
      await expectStillServing();
    });

    it(`closes every one of ${SLOW_CLIENTS} slowloris connections opened at once with 408`, async () => {
      const connections = await Promise.all(Array.from({ length: SLOW_CLIENTS }, () => slowloris(port, 250)));
      const lifetimes = await Promise.all(connections.map(closedByServer));
      expect(connections.map((c) => c.status())).toEqual(connections.map(() => 408));
      expect(Math.min(...lifetimes)).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - CLOCK_SLACK_MS);
      await expectStillServing();
    });

    it(`answers normal requests while ${SLOW_CLIENTS} slowloris connections are held open`, async () => {
      const patientPort = portOf(patient.url);
      const connections = await Promise.all(Array.from({ length: SLOW_CLIENTS }, () => slowloris(patientPort, 250)));
      try {
        for (let i = 0; i < 5; i++) await expectStillServing(patientPort);
        // Every slow connection was still held while the normal requests were answered.
        expect(connections.filter((c) => c.isClosed())).toHaveLength(0);
        expect(connections.every((c) => c.received() === '')).toBe(true);
      } finally {
        for (const c of connections) c.destroy();
      }
    });
  });

  it('answers 408 to a request whose body trickles in, after REQUEST_TIMEOUT_MS, and never runs its handler', async () => {
    const created = await createAgentWithToken(strict, admin, { serverId: 'srv-slow-body' });
    const agent = { ...created, jwt: accessTokenFor(strict, created) };
    const serverId = 'srv-slow-body';
    const metricsRequest = (body: string) =>
      [
        'POST /api/v1/metrics HTTP/1.1',
        'Host: localhost',
        'Connection: close',
        `Authorization: ${bearer(agent.jwt).authorization}`,
        'Content-Type: application/json',
        `Content-Length: ${Buffer.byteLength(body)}`,
        '',
        '',
      ].join('\r\n');
    // A valid body that would finish arriving only after twice the request timeout.
    const slowBody = JSON.stringify({ server_id: serverId, timestamp: nowSeconds() - 60, metrics: { slow: 1 } });
    const connection = await openRaw(port);
    connection.write(metricsRequest(slowBody));
    connection.trickle(slowBody, Math.ceil((2 * REQUEST_TIMEOUT_MS) / slowBody.length));
    const lifetime = await closedByServer(connection);
    expect(connection.status()).toBe(408);
    expect(envelopeOf(connection.received())).toMatchObject({ error: 'request_timeout' });
    // The headers were complete, so the longer request timeout applied, not the headers timeout.
    expect(lifetime).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - CLOCK_SLACK_MS);

    // The same agent's normal request is stored: it is the only sample, so the slow one never reached the handler.
    const body = JSON.stringify({ server_id: serverId, timestamp: nowSeconds(), metrics: { normal: 1 } });
    const normal = await rawRequest(port, metricsRequest(body) + body);
    expect(normal.status).toBe(200);
    expect((await storedSamples(strict, agent.agent.id)).map((s) => s.data)).toEqual([{ normal: 1 }]);
  });

  it('closes an idle keep-alive connection after KEEP_ALIVE_TIMEOUT_MS, having served requests on it until then', async () => {
    const connection = await openRaw(port);
    const keepAliveRequest = 'GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n';
    const responses = () => connection.received().match(/HTTP\/1\.1 200 /g)?.length ?? 0;
    const answered = async (count: number) => {
      const deadline = performance.now() + HANG_MS;
      while (responses() < count && !connection.isClosed() && performance.now() < deadline) await sleep(5);
      return responses() >= count;
    };
    connection.write(keepAliveRequest);
    expect(await answered(1)).toBe(true);
    connection.write(keepAliveRequest);
    expect(await answered(2)).toBe(true);
    const idleFrom = performance.now();
    await closedByServer(connection);
    expect(performance.now() - idleFrom).toBeGreaterThanOrEqual(KEEP_ALIVE_TIMEOUT_MS - 100);
    expect(connection.received()).toMatch(/^keep-alive: timeout=1\r$/im);
    await expectStillServing();
  });

  describe('header floods', () => {
    it('answers 431 and closes the connection for a header beyond 16 KiB, while one of 12 KiB is served', async () => {
      const huge = await rawRequest(port, request('GET /healthz HTTP/1.1', [`X-Huge: ${'h'.repeat(20 * 1024)}`]));
      expect(huge.status).toBe(431);
      expect(envelopeOf(huge.response)).toMatchObject({ error: 'headers_too_large', request_id: expect.any(String) });
      const large = await rawRequest(port, request('GET /healthz HTTP/1.1', [`X-Large: ${'l'.repeat(12 * 1024)}`]));
      expect(large.status).toBe(200);
      await expectStillServing();
    });

    it('answers a request that is not HTTP with 400 invalid_request in the JSON envelope, and closes', async () => {
      const garbage = await rawRequest(port, 'HELLO THERE\r\n\r\n');
      expect(garbage.status).toBe(400);
      expect(envelopeOf(garbage.response)).toMatchObject({
        error: 'invalid_request',
        message: 'The request is not valid HTTP.',
        request_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      });
      expect(garbage.response).not.toContain('Bad Request","message":"Client Error');
      await expectStillServing();
    });

    it('answers 431 to thousands of small headers rather than hanging', async () => {
      const lines = Array.from({ length: 5000 }, (_, i) => `X-Flood-${i}: ${i}`);
      const flood = await rawRequest(port, request('GET /healthz HTTP/1.1', lines));
      expect(flood.status).toBe(431);
      await expectStillServing();
    });

    it.each([
      ['a space in a header name', 'X-Bad Name: 1'],
      ['a control character in a header value', 'X-Bad-Value: a\x01b'],
      ['a header line without a colon', 'X-No-Colon'],
      ['a non-ASCII byte in a header name', 'X-B\u00e4d: 1'],
    ])('answers 400 to %s', async (_label, line) => {
      const bad = await rawRequest(port, Buffer.from(request('GET /healthz HTTP/1.1', [line]), 'latin1'));
      expect(bad.status).toBe(400);
      await expectStillServing();
    });
  });

  describe('oversized URLs and path parameters', () => {
    it('answers 431 to a URL beyond the 16 KiB request head', async () => {
      const res = await rawRequest(port, request(`GET /api/v1/agents/${'a'.repeat(20 * 1024)} HTTP/1.1`));
      expect(res.status).toBe(431);
      await expectStillServing();
    });

    it('answers 404 to an 8 KiB URL that matches no route', async () => {
      const res = await rawGet(port, `/${'a'.repeat(8 * 1024)}`);
      expect(res.status).toBe(404);
      await expectStillServing();
    });

    it('answers 414 to a path parameter longer than the router accepts, before authentication', async () => {
      const res = await rawGet(port, `/api/v1/agents/${'a'.repeat(500)}`);
      expect(res.status).toBe(414);
      await expectStillServing();
    });

    it('answers 400 to a malformed percent-encoding in a path parameter', async () => {
      const res = await rawGet(port, '/api/v1/agents/%E0%A4%A');
      expect(res.status).toBe(400);
      await expectStillServing();
    });

    it('answers a 4xx, never a 5xx, to a query string of 12 KiB', async () => {
      const res = await rawGet(port, `/api/v1/agents?${'q'.repeat(12 * 1024)}=1`);
      expect(statusOf(res.response)).toBeGreaterThanOrEqual(400);
      expect(statusOf(res.response)).toBeLessThan(500);
      await expectStillServing();
    });
  });

  it('keeps an upgraded socket.io connection open beyond the request and headers timeouts', async () => {
    const agent = await createRoomAgent(strict, admin);
    const client = await connectAgent(strict.url, agent.jwt);
    await sleep(REQUEST_TIMEOUT_MS + HEADERS_TIMEOUT_MS);
    expect(client.socket.connected).toBe(true);
    await roundTrip(client);
    client.socket.close();
  });
});
