-- Open exceptions newest first come from the index in order (see exceptions in the schema).
DROP INDEX "exceptions_open_idx";--> statement-breakpoint
CREATE INDEX "exceptions_recent_idx" ON "exceptions" USING btree ("workspace_id","status","created_at");