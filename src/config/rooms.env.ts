import { z } from 'zod';
import { bool, csv } from './env-types.js';

/** Rooms and the socket.io transport. */
export const roomsEnv = {
  FEATURE_MESSAGING_ENABLED: bool.default(true).describe('Enable rooms and the socket.io /agents namespace.'),
  SOCKET_TRANSPORTS: csv
    .pipe(z.array(z.enum(['websocket', 'polling'])).min(1))
    .default(['websocket', 'polling'])
    .describe('socket.io transports accepted; `websocket` alone needs no sticky sessions behind a load balancer.'),
  MESSAGE_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_048_576)
    .default(16_384)
    .describe('Largest room message body, in UTF-8 bytes.'),
  SOCKET_MAX_FRAME_BYTES: z.coerce
    .number()
    .int()
    .min(65_536)
    .default(1_048_576)
    .describe('Largest socket.io frame; a bigger one closes the socket. Keep it well above MESSAGE_MAX_BYTES.'),
  ROOM_REPLAY_LIMIT: z.coerce
    .number()
    .int()
    .min(0)
    .max(10_000)
    .default(500)
    .describe('Most missed messages room:join replays; beyond it the client pages history over REST.'),
  SOCKET_EVENTS_PER_SECOND: z.coerce
    .number()
    .int()
    .min(1)
    .default(30)
    .describe('Token-bucket rate of events one socket may send.'),
};
