import type { FastifyBaseLogger } from 'fastify';

type Pair = { messageId: string; agentId: string };

/** Rows marked per statement at most. */
const MAX_BATCH = 1000;

/**
 * Sets `delivered_at` for what was emitted to live sockets, off the send path: marks that arrive together are
 * written by one statement, one statement at a time. A lost mark (database away) only means the recipient may
 * be woken although it had the message; its inbox is unchanged (acknowledgement is what empties it).
 */
export function createDeliveryMarks(mark: (pairs: Pair[]) => Promise<void>, log: FastifyBaseLogger) {
  const pending = new Map<string, Pair>();
  let running: Promise<void> | undefined;
  let scheduled = false;

  function schedule() {
    if (scheduled || running) return;
    scheduled = true;
    setImmediate(flush);
  }

  function flush() {
    scheduled = false;
    if (running || pending.size === 0) return;
    const batch = [...pending.values()].slice(0, MAX_BATCH);
    for (const p of batch) pending.delete(`${p.messageId}|${p.agentId}`);
    running = mark(batch)
      .catch((err: unknown) => log.warn({ err: { message: (err as Error).message } }, 'delivery marks were lost'))
      .finally(() => {
        running = undefined;
        if (pending.size > 0) schedule();
      });
  }

  return {
    add(messageId: string, agentId: string) {
      pending.set(`${messageId}|${agentId}`, { messageId, agentId });
      schedule();
    },
    /** Writes what is pending (shutdown), then resolves. */
    async drain() {
      while (running || pending.size > 0) {
        if (running) await running;
        else flush();
      }
    },
  };
}
