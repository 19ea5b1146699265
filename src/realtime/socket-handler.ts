import { z } from 'zod';
import type { AppContext } from '../context.js';
import { AppError, fromDatabaseError } from '../lib/errors.js';
import type { Ack, AgentSocket, ClientEvent } from './socket-events.js';

/** The error ack of a failed handler: a 4xx says why, anything else says only unavailable or internal_error. */
export function failureAck(caught: unknown): Parameters<Ack>[0] {
  const error = fromDatabaseError(caught) ?? caught;
  if (error instanceof z.ZodError)
    return {
      ok: false,
      error: 'invalid_request',
      details: error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    };
  if (error instanceof AppError && error.statusCode < 500)
    return {
      ok: false,
      error: error.statusCode === 403 ? 'forbidden' : error.code,
      message: error.message,
      ...(typeof error.fields['limit'] === 'number' ? { limit: error.fields['limit'] } : {}),
    };
  const unavailable = error instanceof AppError && error.code === 'unavailable';
  return {
    ok: false,
    error: unavailable ? 'unavailable' : 'internal_error',
    ...(unavailable ? { message: error.message, retry_after: Number(error.headers['retry-after'] ?? 5) } : {}),
  };
}

/**
 * Registers one client event on a socket: timed, its failures turned into the error ack, and never
 * throwing into socket.io. A client may omit the ack or send something else in its place.
 */
export function handleEvent(
  socket: AgentSocket,
  event: ClientEvent,
  ctx: Pick<AppContext, 'metrics' | 'log'>,
  handle: (payload: unknown, ack: Ack | undefined) => Promise<void>,
): void {
  socket.on(event, (payload: unknown, ack?: Ack) => {
    const reply = typeof ack === 'function' ? ack : undefined;
    const end = ctx.metrics.websocketLatency.startTimer({ event });
    // Inside a promise: a handler that throws before its first await must not become an uncaught exception.
    new Promise<void>((resolve) => resolve(handle(payload, reply)))
      .catch((error: unknown) => {
        if (!(error instanceof z.ZodError || error instanceof AppError || fromDatabaseError(error)))
          ctx.log.error({ err: error, event }, 'socket handler failed');
        reply?.(failureAck(error));
      })
      .finally(() => end());
  });
}
