import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../../db/client.js';
import type { RunExclusive } from '../../db/exclusive.js';
import type { Metrics } from '../../observability/metrics.js';
import { excerptOf, WAKE_LISTED_MESSAGES, type WakeMessage, type WakePayload } from './wake-body.js';
import { createWakeScanRepository, type ListedMessage } from './wake-scan.repository.js';

const SCAN_LOCK_ID = 0x41_47_48_57; // "AGHW"
const AGENTS_PER_TICK = 100;

interface Deps {
  db: Db;
  exclusive: RunExclusive;
  graceMs: number;
  publicUrl: string;
  metrics: Metrics;
  log: FastifyBaseLogger;
}

function present(m: ListedMessage, reason: WakeMessage['reason']): WakeMessage {
  const sender =
    m.senderAgentId !== null
      ? { type: 'agent' as const, id: m.senderAgentId, name: m.senderAgentName ?? '' }
      : m.senderUserId !== null
        ? { type: 'user' as const, id: m.senderUserId, name: m.senderUserName ?? '' }
        : null;
  return {
    id: m.id,
    room_id: m.roomId,
    room_slug: m.roomSlug,
    seq: m.seq,
    reason,
    sender,
    created_at: m.createdAt.toISOString(),
    excerpt: excerptOf(m.body),
  };
}

/**
 * The wake scan: finds agents with a hook that something is addressed to and that no socket received within
 * the grace, and queues one wake call per agent per coalescing window, covering every such message. A
 * message is covered once (its `wake_id` is set in the transaction that queues the call), so it never
 * wakes twice. One instance scans at a time (an advisory lock on Postgres).
 */
export function createWakeScanService({ db, exclusive, graceMs, publicUrl, metrics, log }: Deps) {
  const repository = createWakeScanRepository({ db });

  /** Queues one wake for the agent if it is still due; false when there was nothing (left) to cover. */
  async function wake(agentId: string, now: Date, cutoff: Date): Promise<boolean> {
    return db.transaction(async (tx) => {
      const scoped = createWakeScanRepository({ db: tx });
      const wakeId = randomUUID();
      const result = await scoped.cover(agentId, wakeId, now, cutoff);
      if (!result || result.covered.length === 0) return false;
      const listed = result.covered.slice(0, WAKE_LISTED_MESSAGES);
      const byId = new Map((await scoped.messages(listed.map((c) => c.messageId))).map((m) => [m.id, m]));
      const payload: WakePayload = {
        type: 'wake',
        agent: { id: agentId, name: result.agentName },
        wake_id: wakeId,
        messages: listed.flatMap((c) => {
          const message = byId.get(c.messageId);
          return message ? [present(message, c.reason)] : [];
        }),
        count: result.covered.length,
        url: `${publicUrl}/api/v1/inbox`,
      };
      await scoped.queue(wakeId, agentId, payload, now);
      metrics.wakesQueued.inc();
      metrics.wakeMessages.inc(result.covered.length);
      return true;
    });
  }

  return {
    /** One scan at `now`; returns how many wake calls it queued. */
    async tick(now = new Date()): Promise<number> {
      const cutoff = new Date(now.getTime() - graceMs);
      const outcome = await exclusive(SCAN_LOCK_ID, async () => {
        let queued = 0;
        for (const agentId of await repository.dueAgents(now, cutoff, AGENTS_PER_TICK)) {
          try {
            if (await wake(agentId, now, cutoff)) queued++;
          } catch (error) {
            log.warn({ err: error, agent: agentId }, 'wake not queued');
          }
        }
        return queued;
      });
      return outcome === 'skipped' ? 0 : outcome;
    },
  };
}

export type WakeScanService = ReturnType<typeof createWakeScanService>;
