-- One row per A/B experiment workflow: its latest progress (groups, verdict, events).
-- `seq` orders the snapshots, so a retried or late write never replaces a newer one.
CREATE TABLE experiments (
  id              text        PRIMARY KEY,
  resource_set_id text        NOT NULL,
  status          text        NOT NULL,
  seq             integer     NOT NULL,
  progress        jsonb       NOT NULL,
  started_at      timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX experiments_by_resource_set ON experiments (resource_set_id, started_at DESC, id DESC);

-- Configuration recommendations (instance type right-sizing, tuned app parameters), one row per
-- proposal against one running release (`fingerprint`): made again, it updates its gain and reason.
-- status: open (listed), applied (became a template version and a rollout), superseded (the release
-- it was made against no longer runs).
CREATE TABLE recommendations (
  id              integer     GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  resource_set_id text        NOT NULL,
  fingerprint     text        NOT NULL,
  base_revision   integer     NOT NULL,
  kind            text        NOT NULL,
  proposal        jsonb       NOT NULL,
  expected_gain   float8      NOT NULL,
  status          text        NOT NULL DEFAULT 'open',
  template        text,
  version         integer,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  applied_at      timestamptz,
  UNIQUE (resource_set_id, fingerprint)
);
CREATE INDEX recommendations_by_resource_set ON recommendations (resource_set_id, created_at DESC, id DESC);
