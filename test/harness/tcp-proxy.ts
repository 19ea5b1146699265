import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * How a paused proxy treats connections:
 * - `refuse`: resets every connection at once, like a host whose service is down;
 * - `hang`: accepts and holds connections without forwarding a byte, like a black-holed network.
 */
export type OutageMode = 'refuse' | 'hang';

export interface TcpProxy {
  /** The loopback port clients should connect to. */
  readonly port: number;
  /** Live client connections (forwarded or held). */
  readonly connections: number;
  /** Rewrites a URL (e.g. postgres://...) so that it goes through the proxy. */
  url(target: string): string;
  /** Starts an outage: destroys every live connection and treats new ones per `mode`. */
  pause(mode?: OutageMode): void;
  /** Ends the outage: connections are forwarded again (held ones are reset). */
  resume(): void;
  close(): Promise<void>;
}

/**
 * A tiny loopback TCP proxy for failure tests: point a client at it, then pause
 * and resume it to simulate a dependency that goes away and comes back.
 */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const live = new Set<Socket>();
  let outage: OutageMode | undefined;

  const server: Server = createServer((client) => {
    live.add(client);
    client.on('close', () => live.delete(client));
    client.on('error', () => undefined);
    if (outage === 'refuse') {
      client.resetAndDestroy();
      return;
    }
    if (outage === 'hang') return;
    const upstream = connect(target.port, target.host);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream).pipe(client);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy did not bind a TCP port');
  const port = address.port;

  const resetAll = () => {
    for (const socket of live) socket.resetAndDestroy();
    live.clear();
  };

  return {
    port,
    get connections() {
      return live.size;
    },
    url(targetUrl) {
      const parsed = new URL(targetUrl);
      parsed.hostname = '127.0.0.1';
      parsed.port = String(port);
      return parsed.toString();
    },
    pause(mode = 'refuse') {
      outage = mode;
      resetAll();
    },
    resume() {
      outage = undefined;
      resetAll();
    },
    close: () =>
      new Promise<void>((resolve) => {
        resetAll();
        server.close(() => resolve());
      }),
  };
}
