-- A usage record's key is (flow version, record key); the surrogate id beside it was a second
-- index written per record.
ALTER TABLE "usage_records" DROP COLUMN "id";--> statement-breakpoint
DROP INDEX "usage_records_record_unique";--> statement-breakpoint
ALTER TABLE "usage_records" ADD CONSTRAINT "usage_records_flow_version_id_record_key_pk" PRIMARY KEY("flow_version_id","record_key");
