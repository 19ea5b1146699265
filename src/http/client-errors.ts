import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';

/** What Node's HTTP parser refuses before any request exists, as API.md's envelope names it. */
function refusal(code: string | undefined): { status: number; error: string; message: string } {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT')
    return { status: 408, error: 'request_timeout', message: 'The request did not arrive in time.' };
  if (code === 'HPE_HEADER_OVERFLOW')
    return { status: 431, error: 'headers_too_large', message: 'The request headers are too large.' };
  return { status: 400, error: 'invalid_request', message: 'The request is not valid HTTP.' };
}

/**
 * Fastify's `clientErrorHandler`: a connection whose request Node could not parse, or that timed out before
 * its headers were complete, gets the same JSON envelope as every other error — with a request id of its
 * own, logged beside the parser's reason — instead of Fastify's default `{"error":"Bad Request",...}`.
 * The connection is closed afterwards: what follows on it cannot be trusted to be a request boundary.
 */
export function clientErrorHandler(this: { log: FastifyBaseLogger }, err: Error & { code?: string }, socket: Socket) {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const { status, error, message } = refusal(err.code);
  const requestId = randomUUID();
  this.log.debug({ reqId: requestId, code: err.code, status }, 'refused a request the HTTP parser could not take');
  if (socket.writable) {
    const body = JSON.stringify({ error, message, request_id: requestId });
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
        `content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
        `x-request-id: ${requestId}\r\nconnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}
