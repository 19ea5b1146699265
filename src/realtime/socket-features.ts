import { revocationSockets } from '../identity/revocations.socket.js';
import { claimSockets } from '../modules/claims/claims.socket.js';
import { inboxSockets } from '../modules/inbox/inbox.socket.js';
import { directSockets } from '../modules/rooms/direct.socket.js';
import { roomSockets } from '../modules/rooms/rooms.socket.js';
import type { SocketFeature } from './socket-feature.js';

/** Every feature's socket handlers and listeners, in one list (as src/http/routes.ts lists the routes). */
export const socketFeatures: SocketFeature[] = [
  revocationSockets,
  roomSockets,
  directSockets,
  inboxSockets,
  claimSockets,
];
