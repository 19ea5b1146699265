import { connect, type Socket } from 'node:net';

/** A raw TCP connection to an HTTP server, for requests no well-behaved client would send. */
export interface RawConnection {
  socket: Socket;
  /** Everything the server sent so far (latin1). */
  received(): string;
  /** The status of the first response line the server sent, if any. */
  status(): number | undefined;
  /** Resolves once the connection is closed, with the milliseconds since it was opened. */
  closed: Promise<number>;
  isClosed(): boolean;
  /** Writes unless the connection is closed; a write racing the server's close is ignored. */
  write(data: string | Buffer): void;
  /** Writes `data` one byte every `everyMs` until it is all sent or the connection closes. */
  trickle(data: string, everyMs: number): void;
  destroy(): void;
}

/**
 * Opens a connection and resolves once it is established. With `allowHalfOpen` the client goes on writing
 * after the server's FIN (as a client still sending its body does), instead of ending its side at once.
 */
export function openRaw(port: number, options: { allowHalfOpen?: boolean } = {}): Promise<RawConnection> {
  const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: options.allowHalfOpen ?? false });
  const chunks: Buffer[] = [];
  let closedAt: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  // The server may reset a connection it refuses; the close event below is what the tests look at.
  socket.on('error', () => undefined);
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      const openedAt = performance.now();
      const closed = new Promise<number>((done) =>
        socket.once('close', () => {
          clearInterval(timer);
          closedAt = performance.now();
          done(closedAt - openedAt);
        }),
      );
      const received = () => Buffer.concat(chunks).toString('latin1');
      const write = (data: string | Buffer) => {
        if (closedAt === undefined && !socket.destroyed && socket.writable) socket.write(data);
      };
      resolve({
        socket,
        received,
        status: () => statusOf(received()),
        closed,
        isClosed: () => closedAt !== undefined,
        write,
        trickle(data, everyMs) {
          let next = 0;
          timer = setInterval(() => {
            if (next >= data.length || closedAt !== undefined) return clearInterval(timer);
            write(data.charAt(next++));
          }, everyMs);
        },
        destroy() {
          clearInterval(timer);
          socket.destroy();
        },
      });
    });
  });
}

export function statusOf(response: string): number | undefined {
  const match = /^HTTP\/1\.[01] (\d{3}) /.exec(response);
  return match ? Number(match[1]) : undefined;
}

/**
 * Sends one whole request on a fresh connection and waits for the server to
 * close it (`Connection: close` unless the request says otherwise).
 */
export async function rawRequest(
  port: number,
  request: string | Buffer,
): Promise<{ status: number | undefined; response: string }> {
  const connection = await openRaw(port);
  connection.write(request);
  await connection.closed;
  return { status: connection.status(), response: connection.received() };
}

/** A GET as a well-behaved client sends it, on its own connection. */
export function rawGet(port: number, path: string, headers: Record<string, string> = {}) {
  const lines = Object.entries({ host: 'localhost', connection: 'close', ...headers }).map(([k, v]) => `${k}: ${v}`);
  return rawRequest(port, `GET ${path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`);
}
