-- Totals for runtime.stats, kept by the statements that write events and records (see runtime_partitions in the schema).
ALTER TABLE "runtime_partitions" ADD COLUMN "stored" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "runtime_partitions" ADD COLUMN "usage_records" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
-- The totals so far, counted once: events by their partition, usage records by the partition of
-- the event they were made from (by their tenant where no single event made them).
UPDATE "runtime_partitions" p SET "stored" = c.n FROM (SELECT workspace_id, partition_key, count(*) AS n FROM "events_raw" GROUP BY 1, 2) c
  WHERE p.workspace_id = c.workspace_id AND p.partition_key = c.partition_key;--> statement-breakpoint
INSERT INTO "runtime_partitions" AS p (workspace_id, partition_key, usage_records)
  SELECT u.workspace_id, coalesce(e.partition_key, u.tenant_id), count(*) FROM "usage_records" u LEFT JOIN "events_raw" e ON e.seq = u.event_seq
  GROUP BY 1, 2
  ON CONFLICT (workspace_id, partition_key) DO UPDATE SET usage_records = excluded.usage_records;
