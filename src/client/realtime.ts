import { EventEmitter } from 'node:events';
import { io, type Socket } from 'socket.io-client';
import { claimFields, messageFields, type ClaimInput, type SendOptions } from './coordination.js';
import { AgentHubError, claimError } from './errors.js';
import type { TokenSet } from './token-set.js';
import type { Claim, ClaimEvent, InboxAck, Message, PresenceAgent } from './types.js';

/** What the realtime connection needs of the client that made it (the HTTP client implements it). */
export interface RealtimeHost {
  readonly server: string;
  readonly tokens: TokenSet | undefined;
  accessToken(): Promise<string>;
  messagesAfter(roomId: string, afterSeq: number): Promise<{ messages: Message[] }>;
}

export interface RealtimeOptions {
  /** Resume positions (room id → last seq seen), e.g. persisted from an earlier run. */
  since?: Record<string, number>;
  /** Refresh the token on the live socket this long before it expires. */
  refreshAheadMs?: number;
  ackTimeoutMs?: number;
}

interface Events {
  message: [Message];
  presence: [{ room_id: string; joined: PresenceAgent[]; left: PresenceAgent[] }];
  connected: [{ agent_id: string; rooms: { id: string; slug: string; last_seq: number }[] }];
  disconnected: [string];
  error: [Error];
  /** On every (re)connect: how many inbox items wait (`client.inbox()` lists them). */
  'inbox:pending': [{ pending: number }];
  'claim:created': [ClaimEvent];
  'claim:renewed': [ClaimEvent];
  'claim:released': [ClaimEvent];
  'claim:expired': [ClaimEvent];
}

const CLAIM_CHANGES = ['created', 'renewed', 'released', 'expired'] as const;

type AckResponse = { ok: true } & Record<string, unknown>;

/**
 * socket.io wrapper for agents: authenticates with a fresh JWT on every
 * (re)connect, refreshes it on the live socket before it expires, and after a
 * reconnect rejoins each room with since_seq so missed messages arrive, in
 * order and once, before new ones (falling back to REST when the gap is large).
 */
export class RealtimeClient extends EventEmitter<Events> {
  private socket: Socket | undefined;
  private readonly lastSeq = new Map<string, number>();
  /** Per room, deliveries run one after another so gap filling keeps order. */
  private readonly queues = new Map<string, Promise<void>>();
  private refreshTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: RealtimeHost,
    private readonly options: RealtimeOptions = {},
  ) {
    super();
    for (const [room, seq] of Object.entries(options.since ?? {})) this.lastSeq.set(room, seq);
  }

  /** The last seq delivered per room (persist it to resume later). */
  positions(): Record<string, number> {
    return Object.fromEntries(this.lastSeq);
  }

  connect(): Promise<Events['connected'][0]> {
    const socket = io(`${this.client.server}/agents`, {
      transports: ['websocket'],
      reconnectionDelayMax: 10_000,
      auth: (cb) => {
        this.client.accessToken().then(
          (token) => cb({ token }),
          () => cb({}),
        );
      },
    });
    this.socket = socket;
    socket.on('message:new', (message: Message) => this.enqueue(message.room_id, () => this.deliver(message)));
    socket.on('presence:update', (update: Events['presence'][0]) => this.emit('presence', update));
    socket.on('inbox:pending', (inbox: Events['inbox:pending'][0]) => this.emit('inbox:pending', inbox));
    for (const change of CLAIM_CHANGES)
      socket.on(`claim:${change}`, (event: ClaimEvent) => this.emit(`claim:${change}`, event));
    socket.on('disconnect', (reason) => {
      clearTimeout(this.refreshTimer);
      this.emit('disconnected', reason);
    });
    socket.on('error', (payload: { error?: string; message?: string }) =>
      this.emit('error', new AgentHubError(0, payload.error ?? 'error', payload.message ?? 'socket error')),
    );
    socket.on('connected', (hello: Events['connected'][0]) => {
      this.scheduleRefresh();
      void Promise.all(
        hello.rooms.map((room) => this.enqueue(room.id, () => this.catchUp(room.id, room.last_seq))),
      ).then(() => this.emit('connected', hello));
    });
    return new Promise((resolve, reject) => {
      socket.once('connect_error', (error: Error & { data?: { code?: string } }) =>
        reject(new AgentHubError(401, error.data?.code ?? 'connect_error', error.message)),
      );
      // The server may accept the handshake and then give up (its database is away): it says why in an
      // `error` event and disconnects, which socket.io does not retry. Without this, connect() would never settle.
      let refusal: { error?: string; message?: string } = {};
      const onError = (payload: { error?: string; message?: string }) => (refusal = payload);
      const onDisconnect = (reason: string) => {
        if (reason !== 'io server disconnect') return;
        const message = refusal.message ?? 'The server closed the connection before it was ready.';
        reject(new AgentHubError(0, refusal.error ?? 'disconnected', message));
      };
      socket.on('error', onError);
      socket.on('disconnect', onDisconnect);
      this.once('connected', (hello) => {
        socket.off('error', onError);
        socket.off('disconnect', onDisconnect);
        resolve(hello);
      });
    });
  }

  /** `options`: the client_msg_id, or `{clientMsgId?, replyToSeq?}`. */
  async send(roomId: string, body: string, options: SendOptions | string = {}): Promise<Message> {
    // Retrying with the same client_msg_id is safe: the server returns the stored original.
    const fields = { room_id: roomId, ...messageFields(body, options) };
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        const ack = await this.ack('message:send', fields);
        return ack['message'] as Message;
      } catch (error) {
        if (!(error instanceof AgentHubError) || error.code !== 'timeout') throw error;
      }
    }
    throw new AgentHubError(0, 'timeout', 'The message could not be confirmed.');
  }

  async join(roomId: string): Promise<PresenceAgent[]> {
    const since = this.lastSeq.get(roomId);
    const ack = await this.ack('room:join', { room_id: roomId, ...(since !== undefined ? { since_seq: since } : {}) });
    await this.enqueue(roomId, async () => {
      if (since === undefined) this.lastSeq.set(roomId, Number(ack['last_seq']));
      else await this.applyReplay(roomId, ack);
    });
    return ack['presence'] as PresenceAgent[];
  }

  async leave(roomId: string): Promise<void> {
    await this.ack('room:leave', { room_id: roomId });
  }

  /** As POST /api/v1/inbox/ack, over the socket. */
  async ackInbox(messageIds: string[]): Promise<InboxAck> {
    const ack = await this.ack('inbox:ack', { message_ids: messageIds });
    return { acknowledged: ack['acknowledged'] as string[], unknown: ack['unknown'] as string[] };
  }

  /** Claims over the socket take the room's uuid; a resource someone holds throws ClaimConflictError. */
  async claim(roomId: string, input: ClaimInput): Promise<Claim> {
    try {
      return (await this.ack('claim', { room_id: roomId, ...claimFields(input) }))['claim'] as Claim;
    } catch (error) {
      throw claimError(error);
    }
  }

  async renewClaim(roomId: string, claimId: string, ttlSeconds: number): Promise<Claim> {
    const ack = await this.ack('claim:renew', { room_id: roomId, claim_id: claimId, ttl_seconds: ttlSeconds });
    return ack['claim'] as Claim;
  }

  /** `released` is false when the claim had already ended. */
  async releaseClaim(roomId: string, claimId: string): Promise<{ claim: Claim; released: boolean }> {
    const ack = await this.ack('claim:release', { room_id: roomId, claim_id: claimId });
    return { claim: ack['claim'] as Claim, released: ack['released'] === true };
  }

  close(): void {
    clearTimeout(this.refreshTimer);
    this.socket?.close();
  }

  private async ack(event: string, payload: object): Promise<AckResponse> {
    const socket = this.socket;
    if (!socket) throw new AgentHubError(0, 'not_connected', 'Call connect() first.');
    let response: { ok: boolean; error?: string; message?: string } & Record<string, unknown>;
    try {
      response = (await socket
        .timeout(this.options.ackTimeoutMs ?? 10_000)
        .emitWithAck(event, payload)) as typeof response;
    } catch {
      throw new AgentHubError(0, 'timeout', `No answer to ${event}.`);
    }
    if (!response.ok)
      throw new AgentHubError(400, response.error ?? 'error', response.message ?? `${event} failed`, response);
    return response as AckResponse;
  }

  private enqueue(roomId: string, work: () => Promise<void>): Promise<void> {
    const next = (this.queues.get(roomId) ?? Promise.resolve()).then(work).catch((error: unknown) => {
      this.emit('error', error instanceof Error ? error : new Error(String(error)));
    });
    this.queues.set(roomId, next);
    return next;
  }

  /** After (re)connecting: replay what was missed since our last seq, or start from now. */
  private async catchUp(roomId: string, lastSeqOnServer: number): Promise<void> {
    const since = this.lastSeq.get(roomId);
    if (since === undefined) {
      this.lastSeq.set(roomId, lastSeqOnServer);
      return;
    }
    if (since >= lastSeqOnServer) return;
    const ack = await this.ack('room:join', { room_id: roomId, since_seq: since });
    await this.applyReplay(roomId, ack);
  }

  private async applyReplay(roomId: string, ack: AckResponse): Promise<void> {
    if (ack['recovered'] === true) {
      for (const message of ack['missed'] as Message[]) this.deliverInOrder(message);
      return;
    }
    await this.fillGap(roomId, Number.POSITIVE_INFINITY);
  }

  private async deliver(message: Message): Promise<void> {
    const last = this.lastSeq.get(message.room_id) ?? message.seq - 1;
    if (message.seq <= last) return; // already delivered (replay and live overlap)
    if (message.seq > last + 1) await this.fillGap(message.room_id, message.seq - 1);
    this.deliverInOrder(message);
  }

  /** Pages history over REST until `upTo` (inclusive) has been delivered. */
  private async fillGap(roomId: string, upTo: number): Promise<void> {
    for (;;) {
      const after = this.lastSeq.get(roomId) ?? 0;
      if (after >= upTo) return;
      const { messages } = await this.client.messagesAfter(roomId, after);
      const wanted = messages.filter((m) => m.seq <= upTo);
      for (const message of wanted) this.deliverInOrder(message);
      if (messages.length === 0 || wanted.length < messages.length) return;
    }
  }

  private deliverInOrder(message: Message): void {
    const last = this.lastSeq.get(message.room_id);
    if (last !== undefined && message.seq <= last) return;
    this.lastSeq.set(message.room_id, message.seq);
    this.emit('message', message);
  }

  /** Sends auth:refresh with a renewed JWT shortly before the current one expires. */
  private scheduleRefresh(): void {
    clearTimeout(this.refreshTimer);
    const expiresAt = this.client.tokens?.expiresAt;
    if (!expiresAt) return;
    const delay = Math.max(1000, expiresAt - Date.now() - (this.options.refreshAheadMs ?? 60_000));
    this.refreshTimer = setTimeout(() => {
      this.client
        .accessToken()
        .then((token) => this.ack('auth:refresh', { token }))
        .then(() => this.scheduleRefresh())
        .catch((error: unknown) => this.emit('error', error instanceof Error ? error : new Error(String(error))));
    }, delay);
    this.refreshTimer.unref();
  }
}
