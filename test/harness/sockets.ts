import { io, type Socket } from 'socket.io-client';

/** A message as the wire carries it (`message:new`, acks, `missed`, REST history). */
export interface WireMessage {
  id: string;
  room_id: string;
  seq: number;
  sender_id: string | null;
  sender_type: 'agent' | 'user' | null;
  body: string;
  client_msg_id: string | null;
  created_at: string;
  mentions: { agent_id: string; name: string }[];
  reply_to_seq: number | null;
  reply_count: number;
  last_reply_at: string | null;
}

export interface PresenceAgent {
  agent_id: string;
  name: string;
}

export interface PresenceUpdate {
  room_id: string;
  joined: PresenceAgent[];
  left: PresenceAgent[];
}

export interface Hello {
  agent_id: string;
  rooms: { id: string; slug: string; last_seq: number }[];
}

/** The single ack envelope; fields beyond `ok` depend on the event. */
export type AckReply =
  | ({ ok: true } & Record<string, unknown>)
  | { ok: false; error: string; message?: string; details?: { path: string; message: string }[] };

export type ConnectRefusal = Error & { data?: { code?: string } };

/** A connected agent socket and everything the server pushed to it, in arrival order. */
export interface AgentClient {
  socket: Socket;
  hello: Hello;
  received: WireMessage[];
  presence: PresenceUpdate[];
  errors: { error: string; message: string }[];
  /** Every `inbox:pending` count pushed (one on connect). */
  inboxPending: number[];
  /** Resolves with the reason once the socket is disconnected. */
  disconnected: Promise<string>;
  /** Emits with an ack; rejects if the socket disconnects first. */
  ask(event: string, payload?: unknown): Promise<AckReply>;
  send(roomId: string, body: string, clientMsgId?: string): Promise<AckReply>;
}

/** Long enough for a loaded CI machine; only a hung ack ever reaches it. */
const ACK_TIMEOUT_MS = 20_000;
const opened = new Set<Socket>();

export interface OpenOptions {
  /** Where the JWT goes: the handshake `auth` (default) or the `?token=` query. */
  via?: 'auth' | 'query';
}

/** A raw socket.io client on /agents (websocket transport, no reconnection), not yet awaited. */
export function openSocket(url: string, token: string | undefined, options: OpenOptions = {}): Socket {
  const tokenIn = token === undefined ? {} : options.via === 'query' ? { query: { token } } : { auth: { token } };
  const socket = io(`${url}/agents`, {
    ...tokenIn,
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  opened.add(socket);
  return socket;
}

/** Connects and resolves once the server said `connected` (its rooms are joined by then). */
export function connectAgent(url: string, token: string, options: OpenOptions = {}): Promise<AgentClient> {
  const socket = openSocket(url, token, options);
  const received: WireMessage[] = [];
  const presence: PresenceUpdate[] = [];
  const errors: { error: string; message: string }[] = [];
  const inboxPending: number[] = [];
  socket.on('inbox:pending', (p: { pending: number }) => inboxPending.push(p.pending));
  // Recorders first: presence diffs for the socket's own joins arrive before `connected`.
  socket.on('message:new', (m: WireMessage) => received.push(m));
  socket.on('presence:update', (p: PresenceUpdate) => presence.push(p));
  socket.on('error', (e: { error: string; message: string }) => errors.push(e));
  const disconnected = new Promise<string>((resolve) => socket.once('disconnect', (reason: string) => resolve(reason)));
  const ask = async (event: string, payload?: unknown) =>
    (await socket.timeout(ACK_TIMEOUT_MS).emitWithAck(event, payload)) as AckReply;
  return new Promise((resolve, reject) => {
    socket.once('connect_error', reject);
    socket.once('connected', (hello: Hello) =>
      resolve({
        socket,
        hello,
        received,
        presence,
        errors,
        inboxPending,
        disconnected,
        ask,
        send: (roomId, body, clientMsgId) =>
          ask('message:send', { room_id: roomId, body, ...(clientMsgId ? { client_msg_id: clientMsgId } : {}) }),
      }),
    );
  });
}

/** Resolves with the handshake refusal; fails if the server lets the socket in. */
export function refusal(url: string, token: string | undefined, options: OpenOptions = {}): Promise<ConnectRefusal> {
  const socket = openSocket(url, token, options);
  return new Promise((resolve, reject) => {
    socket.once('connect_error', resolve);
    socket.once('connect', () => reject(new Error('the handshake was accepted')));
  });
}

export function closeAllSockets(): void {
  for (const socket of opened) socket.close();
  opened.clear();
}

/**
 * Polls until `check` returns something other than undefined/false. The
 * deadline only turns a hang into a readable failure; no test asserts speed.
 */
export async function until<T>(what: string, check: () => T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A round trip on `client` that the server handles after everything it sent before. */
export async function roundTrip(client: AgentClient): Promise<void> {
  await client.ask('room:leave', { room_id: '00000000-0000-4000-8000-000000000000' });
}

/** `[1, 2, …, n]`. */
export const oneTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
