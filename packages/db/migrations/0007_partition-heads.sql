-- Ingestion moves a partition's head as it stores events, so workers find partitions with work
-- (head after cursor) without probing events_raw per partition.
ALTER TABLE "runtime_partitions" ADD COLUMN "head_xid" "xid8" DEFAULT '0'::xid8 NOT NULL;--> statement-breakpoint
ALTER TABLE "runtime_partitions" ADD COLUMN "head_seq" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
-- Each partition's head: its last stored event in (xid, seq) order.
UPDATE "runtime_partitions" p SET "head_xid" = h."xid", "head_seq" = h."seq"
  FROM (SELECT DISTINCT ON ("workspace_id", "partition_key") "workspace_id", "partition_key", "xid", "seq" FROM "events_raw"
        ORDER BY "workspace_id", "partition_key", "xid" DESC, "seq" DESC) h
  WHERE p."workspace_id" = h."workspace_id" AND p."partition_key" = h."partition_key";
