import type { AppContext } from '../context.js';
import type { AgentNamespace } from './socket-events.js';

/**
 * A feature's part of the socket server: its event handlers on each socket and its listeners on the app's
 * events, registered once when the namespace is created. It returns what undoes it (run before close).
 */
export type SocketFeature = (nsp: AgentNamespace, ctx: AppContext) => () => void;
