ALTER TABLE "usage_records" DROP CONSTRAINT "usage_records_flow_version_id_flow_versions_id_fk";
--> statement-breakpoint
ALTER TABLE "dedupe_keys" DROP CONSTRAINT "dedupe_keys_deployment_id_deployments_id_fk";
--> statement-breakpoint
DROP INDEX "events_raw_pending_idx";--> statement-breakpoint
CREATE INDEX "events_raw_pending_partition_idx" ON "events_raw" USING btree ("workspace_id","partition_key","seq") WHERE status = 'pending';