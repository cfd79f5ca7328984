-- Published flow versions are immutable, and the audit log is append-only: the database itself
-- refuses changes, so no code path (or manual SQL) can rewrite history.
CREATE OR REPLACE FUNCTION meterflow_refuse_published_version_change() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'flow version % is published and cannot be deleted', OLD.id USING ERRCODE = 'check_violation';
  END IF;
  IF OLD.state = 'published' AND (
    NEW.document IS DISTINCT FROM OLD.document OR NEW.content_hash IS DISTINCT FROM OLD.content_hash
    OR NEW.number IS DISTINCT FROM OLD.number OR NEW.flow_id IS DISTINCT FROM OLD.flow_id
    OR NEW.author IS DISTINCT FROM OLD.author OR NEW.state IS DISTINCT FROM OLD.state
  ) THEN
    RAISE EXCEPTION 'flow version % is published and immutable; publish a new version instead', OLD.id USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER flow_versions_immutable BEFORE UPDATE OR DELETE ON flow_versions
  FOR EACH ROW EXECUTE FUNCTION meterflow_refuse_published_version_change();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION meterflow_refuse_audit_change() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'the audit log is append-only' USING ERRCODE = 'check_violation';
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION meterflow_refuse_audit_change();
