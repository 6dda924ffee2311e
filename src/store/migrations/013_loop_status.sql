-- What each resource set's loop last said of itself (run state, loop conditions, the change under
-- way), written by the loop only when it changes: /metrics and the overview read it, with each
-- set's latest decision and rollout, instead of querying every workflow.
CREATE TABLE loop_status (
  resource_set_id text        PRIMARY KEY,
  loop_id         text        NOT NULL,
  iteration       integer     NOT NULL,
  state           text        NOT NULL,
  conditions      jsonb       NOT NULL,
  active_rollout  jsonb,
  updated_at      timestamptz NOT NULL DEFAULT now()
);
