import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';

export interface LingerLimits {
  /** Most bytes of the refused body read and discarded after the answer. */
  maxBytes: number;
  /** Longest time spent discarding after the answer. */
  timeoutMs: number;
}

type LingeringSocket = Socket & { agenthubLingering?: true };

/**
 * Lingering close, as nginx does it. An answer sent before the request body has all arrived — a 413 for a
 * body over the route's limit (Content-Length, streamed or gzip-inflated), or a 401/404/415 before the body
 * was read — is followed by `Connection: close`. Node would then close the socket with the rest of the body
 * still arriving: the kernel answers those bytes with a reset, and a client still writing (undici, so Node's
 * fetch, the SDK and the CLI) fails with EPIPE or ECONNRESET before it reads the status, and retries.
 *
 * Instead, once the answer is written, the server half-closes (FIN) and reads and discards what the client
 * still sends, up to `maxBytes` and for `timeoutMs`, and closes when the body ends or either bound is reached.
 * The connection is never reused: what follows a refused body cannot be trusted to be a request boundary.
 */
export function registerLingeringClose(app: FastifyInstance, limits: LingerLimits): void {
  app.addHook('onSend', (request, reply, payload, done) => {
    const raw = request.raw;
    if (bodyStillArriving(raw) && lingerAfterAnswer(raw, limits, request.log)) reply.header('connection', 'close');
    done(null, payload);
  });
}

/** A request that announced a body (length or chunked) whose last byte has not been received. */
function bodyStillArriving(raw: IncomingMessage): boolean {
  if (raw.complete || raw.destroyed) return false;
  const length = Number(raw.headers['content-length'] ?? 0);
  return length > 0 || raw.headers['transfer-encoding'] !== undefined;
}

/** False when there is no real socket to linger on (light-my-request's has no destroySoon). */
function lingerAfterAnswer(raw: IncomingMessage, limits: LingerLimits, log: FastifyBaseLogger): boolean {
  const socket = raw.socket as LingeringSocket | null;
  // Node closes a `Connection: close` socket with destroySoon() once the answer is written.
  if (!socket || typeof socket.destroySoon !== 'function') return false;
  if (socket.agenthubLingering) return true;
  socket.agenthubLingering = true;

  let discarded = 0;
  let timer: NodeJS.Timeout | undefined;
  const close = (reason: string) => {
    clearTimeout(timer);
    raw.off('data', count);
    if (reason !== 'body complete') log.debug({ discarded, reason }, 'lingering close cut short');
    socket.destroy();
  };
  const count = (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > limits.maxBytes) close('byte bound');
  };
  // Reading from now on (and so never "dumped" by Node, which would discard without counting).
  raw.on('data', count);
  raw.resume();

  const destroySoon = socket.destroySoon.bind(socket);
  socket.destroySoon = () => {
    Reflect.deleteProperty(socket, 'destroySoon');
    if (raw.complete || socket.destroyed) {
      raw.off('data', count);
      destroySoon();
      return;
    }
    socket.end(); // the answer is all written: FIN, and keep reading
    // A body reader that gave up (a failed gzip pipeline) may have paused the request.
    raw.unpipe();
    raw.resume();
    raw.once('end', () => close('body complete'));
    timer = setTimeout(() => close('time bound'), limits.timeoutMs);
    socket.once('close', () => clearTimeout(timer));
  };
  return true;
}
