import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../../db/client.js';

// Same value in every instance: only one of them maintains partitions at a time.
const PARTITION_LOCK_ID = 0x41_47_48_50; // "AGHP"
const DAY_MS = 86_400_000;

function dayStart(time: number): Date {
  return new Date(Math.floor(time / DAY_MS) * DAY_MS);
}

export function partitionName(day: Date): string {
  return `metrics_data_p${day.toISOString().slice(0, 10).replace(/-/g, '')}`;
}

/**
 * Daily partitions of metrics_data: created ahead (and back over the accepted
 * window, moving any rows the default partition caught), dropped past retention.
 * Safe on several instances: a transaction-scoped advisory lock; the loser skips.
 */
export async function maintainPartitions(
  db: Db,
  options: { now?: Date; daysBack: number; daysAhead: number; retentionDays: number },
) {
  const now = (options.now ?? new Date()).getTime();
  return db.transaction(async (tx) => {
    const [locked] = await queryRows<{ ok: boolean }>(
      tx,
      sql`select pg_try_advisory_xact_lock(${PARTITION_LOCK_ID}) as ok`,
    );
    if (!locked?.ok) return { created: [] as string[], dropped: [] as string[], skipped: true };

    const existing = new Set(
      (
        await queryRows<{ name: string }>(
          tx,
          sql`select c.relname as name from pg_inherits i
              join pg_class c on c.oid = i.inhrelid join pg_class p on p.oid = i.inhparent
              where p.relname = 'metrics_data'`,
        )
      ).map((r) => r.name),
    );

    const created: string[] = [];
    const oldestKept = dayStart(now - options.retentionDays * DAY_MS);
    const firstDay = Math.max(dayStart(now - options.daysBack * DAY_MS).getTime(), oldestKept.getTime());
    for (let day = firstDay; day <= dayStart(now + options.daysAhead * DAY_MS).getTime(); day += DAY_MS) {
      const name = partitionName(new Date(day));
      if (existing.has(name)) continue;
      const from = new Date(day).toISOString();
      const to = new Date(day + DAY_MS).toISOString();
      // Rows of this day may sit in the default partition; move them before attaching.
      await tx.execute(sql.raw(`create table ${name} (like metrics_data including defaults including constraints)`));
      await tx.execute(
        sql.raw(
          `with moved as (delete from metrics_data_default where ts >= '${from}' and ts < '${to}' returning *) insert into ${name} select * from moved`,
        ),
      );
      await tx.execute(
        sql.raw(`alter table metrics_data attach partition ${name} for values from ('${from}') to ('${to}')`),
      );
      created.push(name);
    }

    const dropped: string[] = [];
    for (const name of existing) {
      const match = /^metrics_data_p(\d{4})(\d{2})(\d{2})$/.exec(name);
      if (!match) continue;
      const day = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
      if (day + DAY_MS <= oldestKept.getTime()) {
        await tx.execute(sql.raw(`drop table ${name}`));
        dropped.push(name);
      }
    }
    await tx.execute(sql`delete from metrics_data_default where ts < ${oldestKept.toISOString()}::timestamptz`);
    return { created, dropped, skipped: false };
  });
}
