-- Replay and reconciliation find a time range through this summary (see events_raw in the schema).
CREATE INDEX "events_raw_time_brin" ON "events_raw" USING brin ("time") WITH (autosummarize=true);