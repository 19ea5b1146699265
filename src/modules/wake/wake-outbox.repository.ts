import { eq, sql } from 'drizzle-orm';
import { queryRows, type Db } from '../../db/client.js';
import { wakeOutbox } from '../../db/schema/index.js';
import type { WakePayload } from './wake-body.js';

export interface ClaimedWake {
  id: string;
  agentId: string;
  payload: WakePayload;
  attempts: number;
  createdAt: Date;
}

/** Where a wake call goes now, and whether the agent may still be woken. */
export interface WakeTarget {
  url: string;
  secretEnc: string;
  active: boolean;
}

/** The wake outbox: rows are claimed with a lease, so a killed sender's rows come back when it expires. */
export function createWakeOutboxRepository({ db }: { db: Db }) {
  return {
    /** Up to `limit` due rows (pending, or sending with an expired lease), leased until `leaseUntil`; SKIP LOCKED. */
    async claim(now: Date, leaseUntil: Date, limit: number): Promise<ClaimedWake[]> {
      const at = sql`${now.toISOString()}::timestamptz`;
      const rows = await queryRows<{
        id: string;
        agent_id: string;
        payload: WakePayload | string;
        attempts: number;
        created_at: Date | string;
      }>(
        db,
        sql`update wake_outbox o
            set status = 'sending', lease_until = ${leaseUntil.toISOString()}::timestamptz, attempts = o.attempts + 1
            where o.id in (
              select w.id from wake_outbox w
              where (w.status = 'pending' and w.next_attempt_at <= ${at})
                 or (w.status = 'sending' and w.lease_until < ${at})
              order by w.next_attempt_at
              limit ${limit}
              for update skip locked)
            returning o.id, o.agent_id, o.payload, o.attempts, o.created_at`,
      );
      return rows.map((r) => ({
        id: r.id,
        agentId: r.agent_id,
        payload: typeof r.payload === 'string' ? (JSON.parse(r.payload) as WakePayload) : r.payload,
        attempts: r.attempts,
        createdAt: new Date(r.created_at),
      }));
    },

    async target(agentId: string): Promise<WakeTarget | undefined> {
      const [row] = await queryRows<{ url: string; secret_enc: string; active: boolean }>(
        db,
        sql`select h.url, h.secret_enc, (a.status = 'approved' and u.disabled_at is null) as active
            from agent_wake_hooks h join agents a on a.id = h.agent_id join users u on u.id = a.owner_id
            where h.agent_id = ${agentId}`,
      );
      return row ? { url: row.url, secretEnc: row.secret_enc, active: row.active } : undefined;
    },

    async delivered(id: string, now: Date) {
      await db
        .update(wakeOutbox)
        .set({ status: 'delivered', deliveredAt: now, leaseUntil: null, lastError: null })
        .where(eq(wakeOutbox.id, id));
    },
    async retryAt(id: string, next: Date, error: string) {
      await db
        .update(wakeOutbox)
        .set({ status: 'pending', nextAttemptAt: next, leaseUntil: null, lastError: error.slice(0, 500) })
        .where(eq(wakeOutbox.id, id));
    },
    async failed(id: string, error: string) {
      await db
        .update(wakeOutbox)
        .set({ status: 'failed', leaseUntil: null, lastError: error.slice(0, 500) })
        .where(eq(wakeOutbox.id, id));
    },
  };
}

export type WakeOutboxRepository = ReturnType<typeof createWakeOutboxRepository>;
