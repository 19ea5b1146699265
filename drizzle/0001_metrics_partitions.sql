-- Hand-written: drizzle-kit cannot express partitioning.
-- metrics_data is range-partitioned by day on ts (see 0000, edited to add PARTITION BY).
-- The default partition catches rows whose daily partition does not exist yet;
-- the maintenance job creates daily partitions ahead and drops expired ones.
CREATE TABLE IF NOT EXISTS "metrics_data_default" PARTITION OF "metrics_data" DEFAULT;
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "metrics_data_server_ts_idx" ON "metrics_data" ("server_id", "ts" DESC);
