import { eq, sql } from 'drizzle-orm';
import { queryRows, type Db } from '../../db/client.js';
import { notificationOutbox } from '../../db/schema/index.js';

export interface ClaimedDelivery {
  id: string;
  idempotencyKey: string;
  channelId: string;
  payload: Record<string, unknown>;
  attempts: number;
  createdAt: Date;
}

/** The notification outbox: rows are claimed with a lease, so a crashed sender's rows come back. */
export function createOutboxRepository({ db }: { db: Db }) {
  return {
    /**
     * Takes up to `limit` due rows (pending, or sending with an expired lease) and leases them until
     * `leaseUntil`, the oldest undelivered row of each (alert, channel) only. SKIP LOCKED: two instances
     * claiming at once never take the same row.
     */
    claim: async (now: Date, leaseUntil: Date, limit: number): Promise<ClaimedDelivery[]> => {
      const rows = await queryRows<{
        id: string;
        idempotency_key: string;
        channel_id: string;
        payload: Record<string, unknown> | string;
        attempts: number;
        created_at: Date | string;
      }>(
        db,
        sql`update notification_outbox o
            set status = 'sending', lease_until = ${leaseUntil.toISOString()}::timestamptz, attempts = o.attempts + 1
            where o.id in (
              select n.id from notification_outbox n
              where ((n.status = 'pending' and n.next_attempt_at <= ${now.toISOString()}::timestamptz)
                  or (n.status = 'sending' and n.lease_until < ${now.toISOString()}::timestamptz))
                -- In order per alert and channel: a resolved never overtakes its firing.
                and not exists (
                  select 1 from notification_outbox p
                  where p.channel_id = n.channel_id and p.payload->>'alert' = n.payload->>'alert'
                    and p.status in ('pending', 'sending') and p.created_at < n.created_at)
              order by n.next_attempt_at
              limit ${limit}
              for update skip locked)
            returning o.id, o.idempotency_key, o.channel_id, o.payload, o.attempts, o.created_at`,
      );
      return rows.map((r) => ({
        id: r.id,
        idempotencyKey: r.idempotency_key,
        channelId: r.channel_id,
        payload: typeof r.payload === 'string' ? (JSON.parse(r.payload) as Record<string, unknown>) : r.payload,
        attempts: r.attempts,
        createdAt: new Date(r.created_at),
      }));
    },
    delivered: async (id: string, now: Date) => {
      await db
        .update(notificationOutbox)
        .set({ status: 'delivered', deliveredAt: now, leaseUntil: null, lastError: null })
        .where(eq(notificationOutbox.id, id));
    },
    retryAt: async (id: string, next: Date, error: string) => {
      await db
        .update(notificationOutbox)
        .set({ status: 'pending', nextAttemptAt: next, leaseUntil: null, lastError: error.slice(0, 500) })
        .where(eq(notificationOutbox.id, id));
    },
    failed: async (id: string, error: string) => {
      await db
        .update(notificationOutbox)
        .set({ status: 'failed', leaseUntil: null, lastError: error.slice(0, 500) })
        .where(eq(notificationOutbox.id, id));
    },
    insertTest: async (channelId: string, key: string, payload: Record<string, unknown>) => {
      await db.insert(notificationOutbox).values({ idempotencyKey: key, channelId, payload }).onConflictDoNothing();
    },
    find: async (key: string) =>
      (await db.select().from(notificationOutbox).where(eq(notificationOutbox.idempotencyKey, key)))[0],
  };
}

export type OutboxRepository = ReturnType<typeof createOutboxRepository>;
