-- Configuration templates: each version's body lives in object storage under its content hash;
-- this row is its metadata. Versions are immutable and numbered per template; an identical body is
-- the same version (UNIQUE (template, content_hash)).
CREATE TABLE template_versions (
  template     text        NOT NULL,
  version      integer     NOT NULL CHECK (version >= 1),
  -- Unique across templates: the configuration version the agents apply, idempotently. It starts
  -- at 2 because 1 is the boot configuration every instance starts with.
  revision     integer     GENERATED ALWAYS AS IDENTITY (START WITH 2) UNIQUE,
  content_hash text        NOT NULL,
  object_key   text        NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (template, version),
  UNIQUE (template, content_hash)
);

-- One row per rollout (or rollback) workflow: its latest progress, steps and verdicts included.
-- `seq` orders the snapshots, so a retried or late write never replaces a newer one.
CREATE TABLE rollouts (
  id              text        PRIMARY KEY,
  resource_set_id text        NOT NULL,
  kind            text        NOT NULL,
  status          text        NOT NULL,
  seq             integer     NOT NULL,
  progress        jsonb       NOT NULL,
  started_at      timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rollouts_by_resource_set ON rollouts (resource_set_id, started_at DESC, id DESC);
