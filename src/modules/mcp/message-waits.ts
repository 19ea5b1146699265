import type { AppEventBus, AppEvents } from '../../lib/events.js';
import { tooManyWaits } from './mcp.errors.js';
import type { McpMetrics } from './mcp.metrics.js';

/** How often a waiter re-reads the database anyway: another instance's messages are missed while Redis is away. */
const RECHECK_MS = 5000;

export interface WaitOptions {
  roomId: string;
  /** Who waits: each agent holds at most `maxPerAgent` waits at once. */
  agentId: string;
  /** Resolves with messages after this seq, or with none once `timeoutMs` passes. */
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Reads what is stored after the caller's position (the database is the truth, events only wake). */
  check: () => Promise<boolean>;
  /** Wake only for messages addressed to this agent (mentions_only); the periodic re-check still runs. */
  addressedTo?: string | undefined;
}

interface Waiter {
  wake: () => void;
  addressedTo: string | undefined;
}

export type WaitOutcome = 'found' | 'timeout' | 'aborted' | 'closing';

/**
 * Long-poll waits on rooms: one listener on 'message.created' for the whole
 * app, fanned out by room, so a thousand waiters add no EventEmitter listeners.
 */
export function createMessageWaits(options: { events: AppEventBus; metrics: McpMetrics; maxPerAgent: number }) {
  const { events, metrics, maxPerAgent } = options;
  const waiters = new Map<string, Set<Waiter>>();
  const closers = new Set<() => void>();
  const perAgent = new Map<string, number>();
  let closed = false;

  const onMessage = ({ message, recipients }: AppEvents['message.created'][0]) => {
    for (const waiter of waiters.get(message.roomId) ?? [])
      if (waiter.addressedTo === undefined || recipients?.some((r) => r.agentId === waiter.addressedTo)) waiter.wake();
  };
  events.on('message.created', onMessage);

  /**
   * Subscribes before the first check, so a message stored between the check
   * and the subscription still wakes the wait; every wake re-checks the database.
   */
  async function wait({ roomId, agentId, timeoutMs, signal, check, addressedTo }: WaitOptions): Promise<WaitOutcome> {
    if (closed) return 'closing';
    const held = perAgent.get(agentId) ?? 0;
    if (held >= maxPerAgent) throw tooManyWaits(maxPerAgent);
    perAgent.set(agentId, held + 1);
    let blocked = false;
    let wake: () => void = () => undefined;
    let pending = true;
    const woken = () => {
      pending = true;
      wake();
    };
    let set = waiters.get(roomId);
    if (!set) waiters.set(roomId, (set = new Set()));
    const waiter: Waiter = { wake: woken, addressedTo };
    set.add(waiter);

    let settle: (outcome: WaitOutcome) => void = () => undefined;
    const ended = new Promise<WaitOutcome>((resolve) => (settle = resolve));
    const timer = setTimeout(() => settle('timeout'), timeoutMs);
    const recheck = setInterval(woken, RECHECK_MS);
    const onAbort = () => settle('aborted');
    const onClose = () => settle('closing');
    signal?.addEventListener('abort', onAbort, { once: true });
    closers.add(onClose);
    try {
      if (signal?.aborted) return 'aborted';
      for (;;) {
        if (pending) {
          pending = false;
          if (await check()) return 'found';
          continue;
        }
        if (!blocked) {
          blocked = true;
          metrics.waitsBlocked.inc();
        }
        const outcome = await Promise.race([ended, new Promise<'wake'>((resolve) => (wake = () => resolve('wake')))]);
        if (outcome !== 'wake') return outcome;
      }
    } finally {
      clearTimeout(timer);
      clearInterval(recheck);
      signal?.removeEventListener('abort', onAbort);
      closers.delete(onClose);
      set.delete(waiter);
      if (set.size === 0 && waiters.get(roomId) === set) waiters.delete(roomId);
      if (blocked) metrics.waitsBlocked.dec();
      const left = (perAgent.get(agentId) ?? 1) - 1;
      if (left > 0) perAgent.set(agentId, left);
      else perAgent.delete(agentId);
    }
  }

  return {
    wait,
    /** Ends every wait at once (shutdown), then stops listening. */
    close() {
      closed = true;
      for (const close of [...closers]) close();
      events.off('message.created', onMessage);
    },
  };
}

export type MessageWaits = ReturnType<typeof createMessageWaits>;
