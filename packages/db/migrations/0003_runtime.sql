CREATE TABLE "approvals" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" text NOT NULL,
	"deployment_id" uuid,
	"flow_version_id" uuid NOT NULL,
	"node_id" text NOT NULL,
	"item_id" text NOT NULL,
	"partition_key" text NOT NULL,
	"approver_role" text NOT NULL,
	"payload" jsonb NOT NULL,
	"event_keys" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"correlation_id" text,
	"status" text DEFAULT 'pending' NOT NULL,
	"decided_by" text,
	"decided_at" timestamp with time zone,
	"comment" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "canonical_objects" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" text NOT NULL,
	"flow_version_id" uuid NOT NULL,
	"node_id" text NOT NULL,
	"record_key" text NOT NULL,
	"type" text NOT NULL,
	"payload" jsonb NOT NULL,
	"correlation_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "dedupe_keys" (
	"deployment_id" uuid NOT NULL,
	"node_id" text NOT NULL,
	"key" text NOT NULL,
	"expires_at_ms" bigint NOT NULL,
	CONSTRAINT "dedupe_keys_deployment_id_node_id_key_pk" PRIMARY KEY("deployment_id","node_id","key")
);
--> statement-breakpoint
CREATE TABLE "deployments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" text NOT NULL,
	"flow_id" uuid NOT NULL,
	"flow_version_id" uuid NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"deployed_by" text NOT NULL,
	"deployed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"stopped_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "runtime_watermarks" (
	"deployment_id" uuid NOT NULL,
	"node_id" text NOT NULL,
	"partition_key" text NOT NULL,
	"watermark" timestamp with time zone NOT NULL,
	CONSTRAINT "runtime_watermarks_deployment_id_node_id_partition_key_pk" PRIMARY KEY("deployment_id","node_id","partition_key")
);
--> statement-breakpoint
CREATE TABLE "runtime_windows" (
	"deployment_id" uuid NOT NULL,
	"node_id" text NOT NULL,
	"window_key" text NOT NULL,
	"partition_key" text NOT NULL,
	"closes_at" timestamp with time zone NOT NULL,
	"state" jsonb NOT NULL,
	CONSTRAINT "runtime_windows_deployment_id_node_id_window_key_pk" PRIMARY KEY("deployment_id","node_id","window_key")
);
--> statement-breakpoint
CREATE TABLE "usage_summaries" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" text NOT NULL,
	"deployment_id" uuid,
	"flow_version_id" uuid NOT NULL,
	"node_id" text NOT NULL,
	"window_key" text NOT NULL,
	"partition_key" text NOT NULL,
	"tenant_id" text,
	"metric" text,
	"rating_period" text NOT NULL,
	"window_start" timestamp with time zone NOT NULL,
	"window_end" timestamp with time zone NOT NULL,
	"event_count" integer NOT NULL,
	"quantity" numeric,
	"measures" jsonb NOT NULL,
	"posting_key" text,
	"line_offset" integer,
	"line_count" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
DROP INDEX "lineage_input_idx";--> statement-breakpoint
DROP INDEX "lineage_output_idx";--> statement-breakpoint
ALTER TABLE "events_raw" ADD COLUMN "outcome" text;--> statement-breakpoint
ALTER TABLE "events_raw" ADD COLUMN "processed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "exceptions" ADD COLUMN "deployment_id" uuid;--> statement-breakpoint
ALTER TABLE "exceptions" ADD COLUMN "raised_by" text;--> statement-breakpoint
ALTER TABLE "exceptions" ADD COLUMN "item_id" text;--> statement-breakpoint
ALTER TABLE "exceptions" ADD COLUMN "partition_key" text;--> statement-breakpoint
ALTER TABLE "exceptions" ADD COLUMN "event_keys" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "exceptions" ADD COLUMN "posting_id" uuid;--> statement-breakpoint
ALTER TABLE "lineage" ADD COLUMN "input_ids" jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "postings" ADD COLUMN "deployment_id" uuid;--> statement-breakpoint
ALTER TABLE "postings" ADD COLUMN "kind" text DEFAULT 'post' NOT NULL;--> statement-breakpoint
ALTER TABLE "postings" ADD COLUMN "max_attempts" integer DEFAULT 8 NOT NULL;--> statement-breakpoint
ALTER TABLE "postings" ADD COLUMN "last_error" text;--> statement-breakpoint
ALTER TABLE "postings" ADD COLUMN "attempt_log" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "usage_records" ADD COLUMN "record_key" text NOT NULL;--> statement-breakpoint
ALTER TABLE "usage_records" ADD COLUMN "event_seq" bigint;--> statement-breakpoint
ALTER TABLE "approvals" ADD CONSTRAINT "approvals_deployment_id_deployments_id_fk" FOREIGN KEY ("deployment_id") REFERENCES "public"."deployments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "approvals" ADD CONSTRAINT "approvals_flow_version_id_flow_versions_id_fk" FOREIGN KEY ("flow_version_id") REFERENCES "public"."flow_versions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "canonical_objects" ADD CONSTRAINT "canonical_objects_flow_version_id_flow_versions_id_fk" FOREIGN KEY ("flow_version_id") REFERENCES "public"."flow_versions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dedupe_keys" ADD CONSTRAINT "dedupe_keys_deployment_id_deployments_id_fk" FOREIGN KEY ("deployment_id") REFERENCES "public"."deployments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deployments" ADD CONSTRAINT "deployments_flow_id_flows_id_fk" FOREIGN KEY ("flow_id") REFERENCES "public"."flows"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deployments" ADD CONSTRAINT "deployments_flow_version_id_flow_versions_id_fk" FOREIGN KEY ("flow_version_id") REFERENCES "public"."flow_versions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "runtime_watermarks" ADD CONSTRAINT "runtime_watermarks_deployment_id_deployments_id_fk" FOREIGN KEY ("deployment_id") REFERENCES "public"."deployments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "runtime_windows" ADD CONSTRAINT "runtime_windows_deployment_id_deployments_id_fk" FOREIGN KEY ("deployment_id") REFERENCES "public"."deployments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "usage_summaries" ADD CONSTRAINT "usage_summaries_deployment_id_deployments_id_fk" FOREIGN KEY ("deployment_id") REFERENCES "public"."deployments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "usage_summaries" ADD CONSTRAINT "usage_summaries_flow_version_id_flow_versions_id_fk" FOREIGN KEY ("flow_version_id") REFERENCES "public"."flow_versions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "approvals_item_unique" ON "approvals" USING btree ("flow_version_id","node_id","item_id");--> statement-breakpoint
CREATE INDEX "approvals_status_idx" ON "approvals" USING btree ("workspace_id","status");--> statement-breakpoint
CREATE UNIQUE INDEX "canonical_objects_record_unique" ON "canonical_objects" USING btree ("flow_version_id","record_key");--> statement-breakpoint
CREATE UNIQUE INDEX "deployments_one_active_per_flow" ON "deployments" USING btree ("flow_id") WHERE status = 'active';--> statement-breakpoint
CREATE INDEX "runtime_windows_partition_idx" ON "runtime_windows" USING btree ("deployment_id","partition_key");--> statement-breakpoint
CREATE INDEX "runtime_windows_due_idx" ON "runtime_windows" USING btree ("closes_at");--> statement-breakpoint
CREATE UNIQUE INDEX "usage_summaries_window_unique" ON "usage_summaries" USING btree ("flow_version_id","node_id","window_key");--> statement-breakpoint
CREATE INDEX "usage_summaries_tenant_idx" ON "usage_summaries" USING btree ("workspace_id","tenant_id","metric","rating_period");--> statement-breakpoint
CREATE INDEX "events_raw_pending_seq_idx" ON "events_raw" USING btree ("seq") WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX "lineage_inputs_idx" ON "lineage" USING gin ("input_ids");--> statement-breakpoint
CREATE UNIQUE INDEX "usage_records_record_unique" ON "usage_records" USING btree ("flow_version_id","record_key");--> statement-breakpoint
CREATE INDEX "lineage_output_idx" ON "lineage" USING btree ("workspace_id","output_id");--> statement-breakpoint
ALTER TABLE "lineage" DROP COLUMN "input_id";