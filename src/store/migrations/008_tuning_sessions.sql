-- One row per app-parameter tuning session (workflow): its latest progress, every trial with its
-- parameters, measured objective and canary verdict. `seq` orders the snapshots, so a retried or
-- late write never replaces a newer one.
CREATE TABLE tuning_sessions (
  id              text        PRIMARY KEY,
  resource_set_id text        NOT NULL,
  status          text        NOT NULL,
  seq             integer     NOT NULL,
  progress        jsonb       NOT NULL,
  started_at      timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tuning_sessions_by_resource_set ON tuning_sessions (resource_set_id, started_at DESC, id DESC);
