ALTER TABLE "runtime_partitions" ADD COLUMN "pending" bigint DEFAULT 0 NOT NULL;
--> statement-breakpoint
-- Events already stored after each cursor.
UPDATE "runtime_partitions" p SET "pending" = (SELECT count(*) FROM "events_raw" e WHERE e."workspace_id" = p."workspace_id" AND e."partition_key" = p."partition_key" AND (e."xid", e."seq") > (p."cursor_xid", p."cursor_seq"));
