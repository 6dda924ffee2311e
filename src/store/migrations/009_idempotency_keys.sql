-- The answer to a write sent with an Idempotency-Key, per caller and key, for 24 h: a retry with
-- the same key, route and body gets it again without acting twice. `status` is null while the
-- first request runs.
CREATE TABLE idempotency_keys (
  principal  text        NOT NULL,
  key        text        NOT NULL,
  route      text        NOT NULL,
  body_hash  text        NOT NULL,
  status     integer,
  response   jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (principal, key)
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
