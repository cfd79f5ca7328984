-- A version of all reference data, bumped in the transaction of every statement that writes it:
-- the runtime reloads its in-memory copy only when the version moved (see the schema).
CREATE TABLE "reference_data_version" (
	"id" integer PRIMARY KEY DEFAULT 1 NOT NULL,
	"version" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "reference_data_version_single_row" CHECK ("reference_data_version"."id" = 1)
);--> statement-breakpoint
INSERT INTO "reference_data_version" ("id", "version") VALUES (1, 0);--> statement-breakpoint
CREATE OR REPLACE FUNCTION meterflow_bump_reference_data_version() RETURNS trigger AS $$
BEGIN
  UPDATE reference_data_version SET version = version + 1 WHERE id = 1;
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;--> statement-breakpoint
CREATE TRIGGER account_map_bumps_reference_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "account_map" FOR EACH STATEMENT EXECUTE FUNCTION meterflow_bump_reference_data_version();--> statement-breakpoint
CREATE TRIGGER product_map_bumps_reference_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "product_map" FOR EACH STATEMENT EXECUTE FUNCTION meterflow_bump_reference_data_version();--> statement-breakpoint
CREATE TRIGGER contracts_bumps_reference_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "contracts" FOR EACH STATEMENT EXECUTE FUNCTION meterflow_bump_reference_data_version();--> statement-breakpoint
CREATE TRIGGER price_lists_bumps_reference_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "price_lists" FOR EACH STATEMENT EXECUTE FUNCTION meterflow_bump_reference_data_version();
