import { io, type Socket } from 'socket.io-client';
import { createHistogram, type Histogram } from './latency.js';

/** How one client reaches a server: an access JWT (AgentHub) or handshake query fields (the baseline). */
export interface ClientTarget {
  token?: string;
  query?: Record<string, string>;
}

/** The run deliveries are counted for; bodies start with its id and the send time (performance.now()). */
interface ActiveRun {
  id: string;
  /** Their own echoes count as deliveries but not as latency samples (see RateResult.p50). */
  senders: ReadonlySet<Socket>;
  delivered: number;
  latency: Histogram;
  lastAt: number;
}
let active: ActiveRun | undefined;
/** Results already returned, by run id: deliveries arriving after the drain are counted there as late. */
const scored = new Map<string, RateResult>();

let lastDeliveryAt = 0;

function onMessage(socket: Socket, message: { body?: unknown }): void {
  lastDeliveryAt = performance.now();
  const body = typeof message.body === 'string' ? message.body : '';
  const first = body.indexOf('|');
  const runId = body.slice(0, first);
  if (!active || runId !== active.id) {
    const result = scored.get(runId);
    if (result) result.late++;
    return;
  }
  const now = performance.now();
  if (!active.senders.has(socket))
    active.latency.record(now - Number(body.slice(first + 1, body.indexOf('|', first + 1))));
  active.delivered++;
  active.lastAt = now;
}

export interface Connected {
  sockets: Socket[];
  failed: number;
  firstError: string | undefined;
  /** Per socket: from io() to the server's `connected` event. */
  handshake: Histogram;
  wallMs: number;
}

/**
 * Opens one websocket-only socket.io client per target on /agents, at most
 * `concurrency` handshakes in flight (2 cores: an unbounded burst only queues).
 */
export async function connectMany(url: string, targets: ClientTarget[], concurrency: number): Promise<Connected> {
  const sockets: Socket[] = [];
  const handshake = createHistogram();
  let failed = 0;
  let firstError: string | undefined;
  let next = 0;
  const start = performance.now();
  const worker = async () => {
    while (next < targets.length) {
      const target = targets[next++]!;
      const began = performance.now();
      const socket = io(`${url}/agents`, {
        ...(target.token ? { auth: { token: target.token } } : {}),
        ...(target.query ? { query: target.query } : {}),
        transports: ['websocket'],
        reconnection: false,
        forceNew: true,
        timeout: 60_000,
      });
      socket.on('message:new', (message: { body?: unknown }) => onMessage(socket, message));
      const ok = await new Promise<boolean>((resolve) => {
        socket.once('connected', () => resolve(true));
        socket.once('connect_error', (error: Error) => {
          firstError ??= error.message;
          resolve(false);
        });
      });
      if (ok) {
        handshake.record(performance.now() - began);
        sockets.push(socket);
      } else {
        failed++;
        socket.close();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, targets.length) }, worker));
  return { sockets, failed, firstError, handshake, wallMs: performance.now() - start };
}

/**
 * Waits until no message has arrived for `quietMs` (at most `maxMs`), so a
 * backlog left by an overloaded run does not spill into the next one.
 */
export async function quiesce(quietMs = 500, maxMs = 60_000): Promise<void> {
  const deadline = performance.now() + maxMs;
  while (performance.now() - lastDeliveryAt < quietMs && performance.now() < deadline) await sleep(50);
}

export function closeAll(sockets: Socket[]): void {
  for (const socket of sockets) socket.close();
}

export interface RateResult {
  targetRate: number;
  members: number;
  sent: number;
  acked: number;
  refused: number;
  /** sent × members: every socket in the room, the senders' own included, gets every message. */
  expected: number;
  delivered: number;
  /** Deliveries that arrived after the drain deadline (kept counting until the process ends). */
  late: number;
  achievedRate: number;
  deliveriesPerSecond: number;
  /** Send → receive latency over the deliveries to sockets other than the senders. */
  p50: number;
  p99: number;
  max: number;
  /** Every delivery and ack arrived before the drain deadline. */
  drained: boolean;
}

export interface RateOptions {
  senders: Socket[];
  members: number;
  roomId: string;
  rate: number;
  durationSeconds: number;
  drainMs: number;
  bodyBytes: number;
}

let runCounter = 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Open loop: sends at `rate` msg/s spread round-robin over the senders,
 * whatever the acks do (waiting for them would hide queueing from the
 * latencies), then waits up to `drainMs` for every delivery and ack.
 */
export async function runFixedRate(options: RateOptions): Promise<RateResult> {
  const run: ActiveRun = {
    id: `r${++runCounter}x${process.pid}`,
    senders: new Set(options.senders),
    delivered: 0,
    latency: createHistogram(),
    lastAt: 0,
  };
  active = run;
  const total = Math.round(options.rate * options.durationSeconds);
  let sent = 0;
  let acked = 0;
  let refused = 0;
  const onAck = (reply: { ok?: boolean } | undefined) => (reply?.ok ? acked++ : refused++);
  const start = performance.now();
  let lastSendAt = start;
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - start) * options.rate) / 1000));
      while (sent < due) {
        const now = performance.now();
        const head = `${run.id}|${now.toFixed(3)}|`;
        const body = head + 'x'.repeat(Math.max(0, options.bodyBytes - head.length));
        options.senders[sent % options.senders.length]!.emit('message:send', { room_id: options.roomId, body }, onAck);
        sent++;
        lastSendAt = now;
      }
      if (sent >= total) {
        clearInterval(tick);
        resolve();
      }
    }, 1);
  });
  const expected = sent * options.members;
  const deadline = performance.now() + options.drainMs;
  while ((run.delivered < expected || acked + refused < sent) && performance.now() < deadline) await sleep(10);
  const drained = run.delivered >= expected && acked + refused >= sent;
  active = undefined;
  const sendSeconds = Math.max(0.001, (lastSendAt - start) / 1000);
  const result: RateResult = {
    targetRate: options.rate,
    members: options.members,
    sent,
    acked,
    refused,
    expected,
    delivered: run.delivered,
    late: 0,
    achievedRate: sent / Math.max(sendSeconds, options.durationSeconds),
    deliveriesPerSecond: run.delivered / Math.max(0.001, (run.lastAt - start) / 1000),
    p50: run.latency.percentile(50),
    p99: run.latency.percentile(99),
    max: run.latency.max,
    drained,
  };
  scored.set(run.id, result);
  return result;
}
