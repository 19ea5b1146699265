import { z } from 'zod';
import { duration } from './env-types.js';

/** Metrics ingestion: batch limits, the accepted time window, group commit and retention. */
export const metricsEnv = {
  METRICS_RETENTION_DAYS: z.coerce
    .number()
    .int()
    .min(1)
    .max(3650)
    .default(30)
    .describe('Days of metrics kept before their partitions are dropped.'),
  INGEST_MAX_SAMPLES: z.coerce
    .number()
    .int()
    .min(1)
    .max(10_000)
    .default(1000)
    .describe('Most samples one metrics request may carry.'),
  INGEST_BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(4_194_304)
    .describe('Largest metrics request body, after gzip decompression (413 beyond).'),
  INGEST_WINDOW_BACK: duration
    .default(604_800)
    .describe('Oldest accepted sample timestamp, relative to now (default 7d, so spooled backlogs replay).'),
  INGEST_WINDOW_AHEAD: duration
    .default(300)
    .describe('Newest accepted sample timestamp, relative to now (default 5m of clock skew).'),
  INGEST_MAX_QUEUED_ROWS: z.coerce
    .number()
    .int()
    .min(1)
    .default(50_000)
    .describe('Rows waiting for a group commit before ingestion answers 503.'),
  INGEST_MAX_BATCH_ROWS: z.coerce
    .number()
    .int()
    .min(1)
    .default(1000)
    .describe('Most rows one group-commit flush inserts.'),
  INGEST_FLUSH_CONCURRENCY: z.coerce
    .number()
    .int()
    .min(1)
    .max(16)
    .default(2)
    .describe('Most group-commit flushes in flight; beyond the first, only for a full batch (PGlite: 1).'),
  INGEST_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .default(10_000)
    .describe('A metrics request waiting longer than this for its commit answers 503.'),
};
