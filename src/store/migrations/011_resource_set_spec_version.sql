-- The spec is the set's desired state, written by the API with compare-and-set on this version and
-- signalled to the loop with it, so the loop can tell a newer spec from a late or repeated signal.
ALTER TABLE resource_sets ADD COLUMN spec_version bigint NOT NULL DEFAULT 1;
