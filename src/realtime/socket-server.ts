import { Server } from 'socket.io';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import type { AppInstance } from '../http/route-module.js';
import { allowedOrigins } from '../http/security.js';
import type { AgentActor } from '../identity/actor.model.js';
import {
  agentChannel,
  credentialChannel,
  type Ack,
  type AgentNamespace,
  type AgentSocket,
  type ClientToServerEvents,
  type ServerToClientEvents,
  type SocketData,
} from './socket-events.js';
import { socketFeatures } from './socket-features.js';
import { limitPayloads } from './payload-limits.js';
import { createTokenBucket } from './token-bucket.js';

type NoEvents = Record<string, never>;

/** A live socket outlives its access token by at most this long without auth:refresh. */
const EXPIRY_GRACE_MS = 2000;
/** Rejected events per second beyond which a socket is disconnected. */
const ABUSE_STRIKES = 60;

/**
 * The transport: socket.io on the app's HTTP server, namespace /agents. A socket authenticates at the
 * handshake with an access JWT, joins one channel for its agent and one for its credential (so revocations
 * find it), is rate limited and dropped when its token expires unless it sends auth:refresh. What sockets
 * do beyond that belongs to the features, registered from the one list in socket-features.ts.
 */
export function attachSocketServer(app: AppInstance, ctx: AppContext): Server {
  const io = new Server<ClientToServerEvents, ServerToClientEvents, NoEvents, SocketData>(app.server, {
    transports: ctx.config.SOCKET_TRANSPORTS,
    pingInterval: 10_000,
    pingTimeout: 20_000,
    serveClient: false,
    // The transport bound: a frame over it closes the socket ("transport close"). Below it, each event's own
    // limit answers the error ack payload_too_large and the socket stays (payload-limits.ts, the rooms service).
    maxHttpBufferSize: ctx.config.SOCKET_MAX_FRAME_BYTES,
    cors: { origin: allowedOrigins(ctx.config), credentials: true },
  });
  // Several instances: broadcasts and disconnects reach sockets on every instance.
  if (ctx.redis) io.adapter(ctx.redis.adapter);
  const nsp: AgentNamespace = io.of('/agents');
  const connectedAgents = new Map<string, number>();
  const { credentials } = ctx.services;

  async function authenticate(token: unknown): Promise<AgentActor | 'token_expired' | 'unauthorized'> {
    if (typeof token !== 'string' || token.length === 0 || token.length > 4096) return 'unauthorized';
    const result = await credentials.authenticateAccessToken(token);
    return result.ok ? result.actor : result.reason;
  }

  nsp.use((socket, next) => {
    const token = (socket.handshake.auth as { token?: unknown }).token ?? socket.handshake.query['token'];
    authenticate(token)
      .then((actor) => {
        if (typeof actor === 'string') {
          next(
            Object.assign(
              new Error(
                actor === 'token_expired' ? 'The access token has expired.' : 'A valid access token is required.',
              ),
              { data: { code: actor } },
            ),
          );
          return;
        }
        socket.data.actor = actor;
        socket.data.rooms = new Set();
        next();
      })
      .catch((error: unknown) => {
        ctx.log.warn({ err: error }, 'socket authentication failed');
        next(Object.assign(new Error('Authentication is unavailable; retry.'), { data: { code: 'unavailable' } }));
      });
  });

  nsp.on('connection', (socket) => {
    const agentId = socket.data.actor.agent.id;
    connectedAgents.set(agentId, (connectedAgents.get(agentId) ?? 0) + 1);
    ctx.metrics.agentsConnected.set(connectedAgents.size);
    void socket.join([agentChannel(agentId), credentialChannel(socket.data.actor.credentialId)]);

    limitRate(socket);
    limitPayloads(socket);
    let expiry = scheduleExpiry(socket);

    socket.on('auth:refresh', (payload: unknown, ack?: Ack) => {
      const reply = typeof ack === 'function' ? ack : undefined;
      const token = z.object({ token: z.string() }).safeParse(payload);
      authenticate(token.success ? token.data.token : undefined)
        .then((actor) => {
          if (typeof actor === 'string' || actor.agent.id !== agentId) {
            reply?.({ ok: false, error: typeof actor === 'string' ? actor : 'unauthorized' });
            return;
          }
          // Gone while the token was checked: joining its credential channel or re-arming its expiry would leak.
          if (socket.disconnected) return;
          void socket.leave(credentialChannel(socket.data.actor.credentialId));
          socket.data.actor = actor;
          void socket.join(credentialChannel(actor.credentialId));
          clearTimeout(expiry);
          expiry = scheduleExpiry(socket);
          reply?.({ ok: true, expires_at: new Date(actor.expiresAt * 1000).toISOString() });
        })
        // An unhandled rejection here would take the whole process down.
        .catch((error: unknown) => {
          ctx.log.warn({ err: error }, 'socket token refresh failed');
          reply?.({ ok: false, error: 'unavailable' });
        });
    });

    socket.on('disconnect', () => {
      clearTimeout(expiry);
      const left = (connectedAgents.get(agentId) ?? 1) - 1;
      if (left > 0) connectedAgents.set(agentId, left);
      else connectedAgents.delete(agentId);
      ctx.metrics.agentsConnected.set(connectedAgents.size);
    });
  });

  function scheduleExpiry(socket: AgentSocket): NodeJS.Timeout {
    const ms = socket.data.actor.expiresAt * 1000 - Date.now() + EXPIRY_GRACE_MS;
    return setTimeout(
      () => {
        socket.emit('error', {
          error: 'token_expired',
          message: 'The access token expired; reconnect with a new one.',
        });
        socket.disconnect(true);
      },
      Math.max(0, ms),
    );
  }

  /** 30 events/s per socket (token bucket); excess is refused, and a flood disconnects. */
  function limitRate(socket: AgentSocket) {
    const bucket = createTokenBucket(ctx.config.SOCKET_EVENTS_PER_SECOND);
    let strikes = 0;
    let windowStart = Date.now();
    socket.use((packet, next) => {
      if (bucket.take()) {
        next();
        return;
      }
      const ack: unknown = packet.at(-1);
      if (typeof ack === 'function')
        (ack as Ack)({ ok: false, error: 'rate_limited', message: 'Too many events; slow down.' });
      if (Date.now() - windowStart > 1000) {
        windowStart = Date.now();
        strikes = 0;
      }
      if (++strikes > ABUSE_STRIKES) {
        socket.emit('error', { error: 'rate_limited', message: 'Disconnected for sending too many events.' });
        socket.disconnect(true);
      }
    });
  }

  // Registered after the transport's own connection handler, so each feature's runs on an authenticated socket.
  const unregister = socketFeatures.map((register) => register(nsp, ctx));

  // Sockets go before the HTTP server closes (upgraded connections would hold it open).
  app.addHook('preClose', (done) => {
    for (const undo of unregister) undo();
    nsp.disconnectSockets(true);
    io.engine.close();
    done();
  });
  return io;
}
