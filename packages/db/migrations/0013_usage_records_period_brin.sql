-- Reconciliation reads usage records by period range; records arrive roughly in period order, so
-- a BRIN summary finds their blocks and costs next to nothing per insert, where the b-tree on
-- (workspace, tenant, metric, period) cost about 1.5 µs of PostgreSQL CPU per record.
DROP INDEX "usage_records_tenant_period_idx";--> statement-breakpoint
CREATE INDEX "usage_records_period_brin" ON "usage_records" USING brin ("rating_period") WITH (autosummarize=true);