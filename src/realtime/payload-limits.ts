import type { Ack, AgentSocket } from './socket-events.js';

/** Largest payload of a control event (room:join, room:leave, auth:refresh): ids, a seq, a JWT of 4 KiB at most. */
export const CONTROL_PAYLOAD_MAX_BYTES = 8192;

/**
 * Each event's own payload bound, below the transport's (SOCKET_MAX_FRAME_BYTES): an event over it is not
 * handled and answers the error ack `payload_too_large` with `limit`, and the socket stays connected.
 * message:send is measured by the rooms service, on its body against MESSAGE_MAX_BYTES (the same answer).
 */
export function limitPayloads(socket: AgentSocket): void {
  socket.use((packet, next) => {
    const [event, ...args] = packet as [string, ...unknown[]];
    if (event === 'message:send') {
      next();
      return;
    }
    const ack = args.at(-1);
    const payload = typeof ack === 'function' ? args.slice(0, -1) : args;
    if (Buffer.byteLength(JSON.stringify(payload)) <= CONTROL_PAYLOAD_MAX_BYTES) {
      next();
      return;
    }
    if (typeof ack === 'function')
      (ack as Ack)({
        ok: false,
        error: 'payload_too_large',
        message: `A ${event} payload is at most ${CONTROL_PAYLOAD_MAX_BYTES} bytes.`,
        limit: CONTROL_PAYLOAD_MAX_BYTES,
      });
  });
}
