-- One row per control-loop iteration: what the loop saw, forecast, planned and did, and why.
-- (loop_id, iteration) is the idempotency key: a retried recordDecision writes nothing new.
CREATE TABLE decisions (
  resource_set_id   text        NOT NULL,
  loop_id           text        NOT NULL,
  iteration         integer     NOT NULL,
  decided_at        timestamptz NOT NULL,
  mode              text        NOT NULL,
  paused            boolean     NOT NULL,
  current_instances integer     NOT NULL,
  ready_instances   integer     NOT NULL,
  desired_instances integer     NOT NULL,
  rule              text        NOT NULL,
  reasons           jsonb       NOT NULL,
  inputs            jsonb       NOT NULL,
  forecast          jsonb,
  actions           jsonb       NOT NULL,
  PRIMARY KEY (loop_id, iteration)
);
CREATE INDEX decisions_by_resource_set ON decisions (resource_set_id, decided_at DESC, iteration DESC);
