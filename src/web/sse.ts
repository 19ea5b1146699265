import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { hijackKeepingHeaders } from '../http/hijack.js';

/** Comments this often keep proxies from closing an idle stream. */
export const PING_MS = 15_000;
/** Streams end after this; EventSource reconnects, so a revoked session stops getting data within it. */
const MAX_STREAM_MS = 5 * 60_000;

export interface EventStream {
  /** `json` is one JSON document (already serialised, so callers can compare it). */
  send(event: string, json: string, id?: string | number): void;
  end(): void;
  /** Runs on every ping and once when the stream closes (then `closed` is true). */
  onTick(listener: () => void): void;
  onClose(listener: () => void): void;
  readonly closed: boolean;
}

/**
 * Server-sent event streams for the pages. Every open stream is ended when
 * the app closes, so a graceful shutdown does not wait out the 5 minutes.
 */
export function eventStreams(app: FastifyInstance) {
  const open = new Set<ServerResponse>();
  app.addHook('preClose', (done) => {
    for (const raw of open) raw.end();
    open.clear();
    done();
  });

  return function start(reply: FastifyReply): EventStream {
    hijackKeepingHeaders(reply);
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'x-accel-buffering': 'no',
    });
    raw.write('retry: 3000\n\n');
    const ticks: (() => void)[] = [];
    const tick = setInterval(() => {
      raw.write(': ping\n\n');
      for (const listener of ticks) listener();
    }, PING_MS);
    const lifetime = setTimeout(() => raw.end(), MAX_STREAM_MS);
    open.add(raw);
    raw.on('close', () => {
      open.delete(raw);
      clearInterval(tick);
      clearTimeout(lifetime);
    });
    return {
      send(event, json, id) {
        if (raw.writableEnded) return;
        raw.write(`${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${json}\n\n`);
      },
      end: () => raw.end(),
      onTick: (listener) => ticks.push(listener),
      onClose: (listener) => raw.on('close', listener),
      get closed() {
        return raw.writableEnded || raw.destroyed;
      },
    };
  };
}
