-- The version is bumped before a statement writes reference data, not after: a writer then
-- waits for another's transaction before it locks any row, where bumping it last let two editors
-- each hold a row the other needed while waiting for the version (a deadlock).
DROP TRIGGER account_map_bumps_reference_version ON "account_map";--> statement-breakpoint
DROP TRIGGER product_map_bumps_reference_version ON "product_map";--> statement-breakpoint
DROP TRIGGER contracts_bumps_reference_version ON "contracts";--> statement-breakpoint
DROP TRIGGER price_lists_bumps_reference_version ON "price_lists";--> statement-breakpoint
CREATE TRIGGER account_map_bumps_reference_version BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON "account_map" FOR EACH STATEMENT EXECUTE FUNCTION meterflow_bump_reference_data_version();--> statement-breakpoint
CREATE TRIGGER product_map_bumps_reference_version BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON "product_map" FOR EACH STATEMENT EXECUTE FUNCTION meterflow_bump_reference_data_version();--> statement-breakpoint
CREATE TRIGGER contracts_bumps_reference_version BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON "contracts" FOR EACH STATEMENT EXECUTE FUNCTION meterflow_bump_reference_data_version();--> statement-breakpoint
CREATE TRIGGER price_lists_bumps_reference_version BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON "price_lists" FOR EACH STATEMENT EXECUTE FUNCTION meterflow_bump_reference_data_version();
