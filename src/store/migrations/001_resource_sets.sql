-- One row per resource set: the spec it was created with (canonical JSON) and its workflow.
CREATE TABLE resource_sets (
  id          text PRIMARY KEY,
  spec        jsonb NOT NULL,
  workflow_id text NOT NULL UNIQUE,
  created_at  timestamptz NOT NULL DEFAULT now()
);
