DROP INDEX "events_raw_source_id_unique";--> statement-breakpoint
CREATE UNIQUE INDEX "events_raw_source_id_unique" ON "events_raw" USING btree ("workspace_id","event_id","source");