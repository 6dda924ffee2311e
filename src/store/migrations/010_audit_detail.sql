-- What an audited request acted on and what it changed, so the log answers "who touched this set"
-- and "what was it before" without reconstructing state from elsewhere.
ALTER TABLE audit_log ADD COLUMN resource_set text, ADD COLUMN change jsonb;
CREATE INDEX audit_log_resource_set ON audit_log (resource_set, id);
CREATE INDEX audit_log_principal ON audit_log (principal_id, id);
CREATE INDEX audit_log_at ON audit_log (at);
