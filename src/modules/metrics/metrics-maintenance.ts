import type { AppContext } from '../../context.js';
import { maintainPartitions } from './metrics-partitions.js';

const DAYS_AHEAD = 3;

/** Partitions for the whole accepted window (back and ahead), and retention. */
export async function maintainMetricsPartitions(ctx: AppContext) {
  const result = await ctx.timed('metrics.partitions', () =>
    maintainPartitions(ctx.database.db, {
      daysBack: Math.ceil(ctx.config.INGEST_WINDOW_BACK / 86_400),
      daysAhead: DAYS_AHEAD,
      retentionDays: ctx.config.METRICS_RETENTION_DAYS,
    }),
  );
  if (result.created.length > 0 || result.dropped.length > 0) ctx.log.info(result, 'metrics partitions maintained');
  return result;
}
