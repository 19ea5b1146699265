import type { Ack, AgentSocket } from './socket-events.js';

/** Largest payload of a control event (room:join, room:leave, auth:refresh): ids, a seq, a JWT of 4 KiB at most. */
export const CONTROL_PAYLOAD_MAX_BYTES = 8192;

/** inbox:ack carries up to 500 message ids (about 20 KB). */
const OWN_LIMITS: Record<string, number> = { 'inbox:ack': 32_768 };

/** Events with a message body, measured by the rooms service against MESSAGE_MAX_BYTES. */
const BODY_EVENTS = new Set(['message:send', 'dm:send']);

/**
 * Each event's own payload bound, below the transport's (SOCKET_MAX_FRAME_BYTES): an event over it is not
 * handled and answers the error ack `payload_too_large` with `limit`, and the socket stays connected.
 * message:send and dm:send are measured by the rooms service, on their body against MESSAGE_MAX_BYTES (the same
 * answer).
 */
export function limitPayloads(socket: AgentSocket): void {
  socket.use((packet, next) => {
    const [event, ...args] = packet as [string, ...unknown[]];
    if (BODY_EVENTS.has(event)) {
      next();
      return;
    }
    const ack = args.at(-1);
    const payload = typeof ack === 'function' ? args.slice(0, -1) : args;
    const limit = OWN_LIMITS[event] ?? CONTROL_PAYLOAD_MAX_BYTES;
    if (Buffer.byteLength(JSON.stringify(payload)) <= limit) {
      next();
      return;
    }
    if (typeof ack === 'function')
      (ack as Ack)({
        ok: false,
        error: 'payload_too_large',
        message: `A ${event} payload is at most ${limit} bytes.`,
        limit,
      });
  });
}
