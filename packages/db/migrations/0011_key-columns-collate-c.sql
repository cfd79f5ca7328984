-- Keys of the tables written per event compare byte by byte: their indexes never need a locale's
-- order, and "C" comparisons are cheaper. One statement per table, so each index is rebuilt once.
ALTER TABLE "events_raw" ALTER COLUMN "workspace_id" SET DATA TYPE text collate "C", ALTER COLUMN "source" SET DATA TYPE text collate "C", ALTER COLUMN "event_id" SET DATA TYPE text collate "C", ALTER COLUMN "partition_key" SET DATA TYPE text collate "C";--> statement-breakpoint
ALTER TABLE "runtime_partitions" ALTER COLUMN "workspace_id" SET DATA TYPE text collate "C", ALTER COLUMN "partition_key" SET DATA TYPE text collate "C";--> statement-breakpoint
ALTER TABLE "usage_records" ALTER COLUMN "workspace_id" SET DATA TYPE text collate "C", ALTER COLUMN "record_key" SET DATA TYPE text collate "C", ALTER COLUMN "tenant_id" SET DATA TYPE text collate "C", ALTER COLUMN "metric" SET DATA TYPE text collate "C", ALTER COLUMN "rating_period" SET DATA TYPE text collate "C";
