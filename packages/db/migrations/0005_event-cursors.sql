-- Processing no longer marks each raw event: a cursor per partition says how far it has got, in
-- (xid, seq) order. Events processed before this migration sort first (xid 3, the first normal
-- transaction id) and their partition's cursor stands on the last of them; pending ones take this
-- migration's xid and so come after it.
CREATE TABLE "runtime_partitions" (
	"workspace_id" text NOT NULL,
	"partition_key" text NOT NULL,
	"cursor_xid" "xid8" DEFAULT '0'::xid8 NOT NULL,
	"cursor_seq" bigint DEFAULT 0 NOT NULL,
	"processed_at" timestamp with time zone,
	CONSTRAINT "runtime_partitions_workspace_id_partition_key_pk" PRIMARY KEY("workspace_id","partition_key")
);
--> statement-breakpoint
ALTER TABLE "events_raw" ADD COLUMN "xid" "xid8";--> statement-breakpoint
UPDATE "events_raw" SET "xid" = CASE WHEN "status" = 'processed' THEN '3'::xid8 ELSE pg_current_xact_id() END;--> statement-breakpoint
ALTER TABLE "events_raw" ALTER COLUMN "xid" SET DEFAULT pg_current_xact_id();--> statement-breakpoint
ALTER TABLE "events_raw" ALTER COLUMN "xid" SET NOT NULL;--> statement-breakpoint
INSERT INTO "runtime_partitions" ("workspace_id", "partition_key", "cursor_xid", "cursor_seq")
  SELECT "workspace_id", "partition_key", '3'::xid8, coalesce(max("seq") FILTER (WHERE "status" = 'processed'), 0) FROM "events_raw" GROUP BY 1, 2;--> statement-breakpoint
-- Null now means validated once processed: the common case writes nothing back.
UPDATE "events_raw" SET "outcome" = NULL WHERE "outcome" = 'validated';--> statement-breakpoint
DROP INDEX "events_raw_pending_partition_idx";--> statement-breakpoint
DROP INDEX "events_raw_pending_seq_idx";--> statement-breakpoint
CREATE INDEX "events_raw_partition_order_idx" ON "events_raw" USING btree ("workspace_id","partition_key","xid","seq");--> statement-breakpoint
ALTER TABLE "events_raw" DROP COLUMN "status";--> statement-breakpoint
ALTER TABLE "events_raw" DROP COLUMN "processed_at";
