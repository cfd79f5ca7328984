-- The latest usage records are looked for in a recent window of created_at (records are appended
-- in its order): a BRIN summary finds the window's blocks, where ordering all of a workspace's
-- records read them all, and costs next to nothing per insert.
CREATE INDEX "usage_records_created_brin" ON "usage_records" USING brin ("created_at") WITH (autosummarize=true);