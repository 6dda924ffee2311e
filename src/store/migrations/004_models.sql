-- Which model version a training run builds. (resource_set_id, kind, training_run_id) is the
-- idempotency key: a retried training activity gets the version it was given the first time, so it
-- overwrites its own artifacts instead of creating a second version.
CREATE TABLE model_training_runs (
  resource_set_id text        NOT NULL,
  kind            text        NOT NULL,
  training_run_id text        NOT NULL,
  version         integer     NOT NULL,
  reserved_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (resource_set_id, kind, training_run_id),
  UNIQUE (resource_set_id, kind, version)
);

-- Trained models with their backtest. `backtest` holds the candidate's scores and, measured on the
-- same held-out tail, those of seasonal naive and of the model promoted when it was trained;
-- `score` is the candidate's scaled pinball loss (lower is better), the figure promotion compares.
CREATE TABLE model_versions (
  resource_set_id text             NOT NULL,
  kind            text             NOT NULL,
  version         integer          NOT NULL,
  training_run_id text             NOT NULL,
  status          text             NOT NULL DEFAULT 'candidate' CHECK (status IN ('candidate', 'promoted', 'retired')),
  artifact_key    text             NOT NULL,
  score           double precision NOT NULL,
  backtest        jsonb            NOT NULL,
  -- Why it was or was not promoted; null until promotion was decided.
  decision        text,
  created_at      timestamptz      NOT NULL DEFAULT now(),
  promoted_at     timestamptz,
  PRIMARY KEY (resource_set_id, kind, version),
  UNIQUE (resource_set_id, kind, training_run_id)
);
-- At most one promoted version per resource set and kind, whatever the code does.
CREATE UNIQUE INDEX model_versions_one_promoted ON model_versions (resource_set_id, kind) WHERE status = 'promoted';

-- Learned per-instance capacity: requests/s an instance of a type, running a configuration,
-- serves before its p95 latency crosses the SLO. Rows that are not `learned` keep their fit
-- figures so one can see how far from enough data they are; planners fall back to a default.
CREATE TABLE capacity_models (
  resource_set_id text             NOT NULL,
  instance_type   text             NOT NULL,
  config_version  text             NOT NULL,
  slo_p95_ms      double precision NOT NULL,
  status          text             NOT NULL CHECK (status IN ('learned', 'insufficient')),
  capacity        double precision,
  samples         integer          NOT NULL,
  coverage        double precision,
  r2              double precision,
  fit             jsonb            NOT NULL,
  -- The newest sample behind the fit: the configuration seen last is the one running now.
  last_sample_at  timestamptz      NOT NULL,
  fitted_at       timestamptz      NOT NULL DEFAULT now(),
  PRIMARY KEY (resource_set_id, instance_type, config_version),
  CHECK (status <> 'learned' OR capacity > 0)
);
