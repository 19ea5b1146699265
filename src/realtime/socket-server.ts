import { Server, type Namespace, type Socket } from 'socket.io';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import type { AppInstance } from '../http/route-module.js';
import { allowedOrigins } from '../http/security.js';
import type { AgentActor } from '../identity/actor.model.js';
import { registerRoomHandlers } from '../modules/rooms/rooms.socket.js';
import { presentMessage } from '../modules/rooms/rooms.schemas.js';
import { createSharedPresence } from '../scale/shared-presence.js';
import { createPresence } from './presence.js';
import { createRoomJoins } from './room-joins.js';
import {
  agentChannel,
  credentialChannel,
  roomChannel,
  type Ack,
  type ClientToServerEvents,
  type ServerToClientEvents,
  type SocketData,
} from './socket-events.js';
import { createTokenBucket } from './token-bucket.js';

type NoEvents = Record<string, never>;
export type AgentNamespace = Namespace<ClientToServerEvents, ServerToClientEvents, NoEvents, SocketData>;
export type AgentSocket = Socket<ClientToServerEvents, ServerToClientEvents, NoEvents, SocketData>;

/** A live socket outlives its access token by at most this long without auth:refresh. */
const EXPIRY_GRACE_MS = 2000;
/** Rejected events per second beyond which a socket is disconnected. */
const ABUSE_STRIKES = 60;

/**
 * socket.io on the app's HTTP server, namespace /agents. A socket authenticates
 * at the handshake with an access JWT, joins a channel per room it belongs to,
 * one for its agent and one for its credential (so revocations find it).
 */
export function attachSocketServer(app: AppInstance, ctx: AppContext): Server {
  const io = new Server<ClientToServerEvents, ServerToClientEvents, NoEvents, SocketData>(app.server, {
    transports: ctx.config.SOCKET_TRANSPORTS,
    pingInterval: 10_000,
    pingTimeout: 20_000,
    serveClient: false,
    maxHttpBufferSize: ctx.config.MESSAGE_MAX_BYTES * 2 + 8192,
    cors: { origin: allowedOrigins(ctx.config), credentials: true },
  });
  // Several instances: broadcasts and disconnects reach sockets on every instance.
  if (ctx.redis) io.adapter(ctx.redis.adapter);
  const nsp: AgentNamespace = io.of('/agents');
  const shared = ctx.redis
    ? createSharedPresence(createPresence(), ctx.redis, ctx.config.PRESENCE_TTL * 1000)
    : undefined;
  const presence = shared ?? createPresence();
  const joins = createRoomJoins({ nsp, presence, metrics: ctx.metrics });
  const connectedAgents = new Map<string, number>();
  const { credentials, rooms } = ctx.services;

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
    let expiry = scheduleExpiry(socket);
    registerRoomHandlers(socket, { ctx, presence, joins });

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
      for (const roomId of [...socket.data.rooms]) joins.leave(socket, roomId);
      const left = (connectedAgents.get(agentId) ?? 1) - 1;
      if (left > 0) connectedAgents.set(agentId, left);
      else connectedAgents.delete(agentId);
      ctx.metrics.agentsConnected.set(connectedAgents.size);
    });

    // Join every room the agent belongs to, then say hello with each room's last seq.
    rooms
      .roomsOfAgent(agentId)
      .then((memberOf) => {
        if (!socket.connected) return;
        const active = memberOf.filter((r) => r.archivedAt === null);
        for (const room of active) joins.join(socket, room.id);
        socket.emit('connected', {
          agent_id: agentId,
          rooms: active.map((r) => ({ id: r.id, slug: r.slug, last_seq: r.lastSeq })),
        });
      })
      .catch((error: unknown) => {
        ctx.log.warn({ err: error }, 'could not load the rooms of a connecting agent');
        socket.emit('error', { error: 'unavailable', message: 'Could not load your rooms; reconnect.' });
        socket.disconnect(true);
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

  const { events } = ctx;
  // Local only: with Redis, the event fan-out replays every instance's messages on every other, so each
  // instance delivers to its own sockets (a broadcast through the adapter as well would deliver twice).
  const onMessage = ({ message }: { message: Parameters<typeof presentMessage>[0] }) =>
    nsp.local.to(roomChannel(message.roomId)).emit('message:new', presentMessage(message));
  // Deactivation revokes the agent's credentials first, so both paths must say why before closing.
  // Local only: with Redis, the event fan-out runs this on every instance, and a second broadcast
  // through the adapter could reach a socket between its instance's own error and disconnect.
  const revoke = (channel: string) => {
    nsp.local
      .in(channel)
      .emit('error', { error: 'revoked', message: 'This agent was deactivated or its credentials revoked.' });
    nsp.local.in(channel).disconnectSockets(true);
  };
  const onAgentRevoked = ({ agentId }: { agentId: string }) => revoke(agentChannel(agentId));
  const onCredentialRevoked = ({ credentialId }: { credentialId: string }) => revoke(credentialChannel(credentialId));
  const onMemberAdded = ({ roomId, agentId }: { roomId: string; agentId: string }) => {
    for (const socket of localSockets(agentId)) joins.join(socket, roomId);
  };
  const onMemberRemoved = ({ roomId, agentId }: { roomId: string; agentId: string }) => {
    for (const socket of localSockets(agentId)) joins.leave(socket, roomId);
  };
  const onArchived = ({ roomId }: { roomId: string }) => {
    for (const socket of nsp.sockets.values()) if (socket.data.rooms.has(roomId)) joins.leave(socket, roomId);
  };
  function localSockets(agentId: string): AgentSocket[] {
    return [...nsp.sockets.values()].filter((s) => s.data.actor.agent.id === agentId);
  }
  events.on('message.created', onMessage);
  events.on('agent.revoked', onAgentRevoked);
  events.on('credential.revoked', onCredentialRevoked);
  events.on('room.member_added', onMemberAdded);
  events.on('room.member_removed', onMemberRemoved);
  events.on('room.archived', onArchived);

  // Sockets go before the HTTP server closes (upgraded connections would hold it open).
  app.addHook('preClose', (done) => {
    events.off('message.created', onMessage);
    events.off('agent.revoked', onAgentRevoked);
    events.off('credential.revoked', onCredentialRevoked);
    events.off('room.member_added', onMemberAdded);
    events.off('room.member_removed', onMemberRemoved);
    events.off('room.archived', onArchived);
    nsp.disconnectSockets(true);
    shared?.stop();
    io.engine.close();
    done();
  });
  return io;
}
