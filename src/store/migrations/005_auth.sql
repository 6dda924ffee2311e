-- API keys. The id is the key's public prefix (psk_<id>_<secret>); only an HMAC of the secret
-- under a per-key salt is kept. Revoked keys stay, so the audit log's principals keep a name.
CREATE TABLE api_keys (
  id           text        PRIMARY KEY,
  name         text        NOT NULL DEFAULT '',
  role         text        NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
  -- Resource set ids the key is confined to; NULL means every set.
  scopes       text[],
  salt         bytea       NOT NULL,
  hash         bytea       NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  created_by   text,
  revoked_at   timestamptz,
  -- The key this one replaced by rotation.
  rotated_from text        REFERENCES api_keys (id)
);

-- Every mutating API request: who, what, on which target, with what result.
CREATE TABLE audit_log (
  id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at             timestamptz NOT NULL DEFAULT now(),
  request_id     text        NOT NULL,
  principal_kind text        NOT NULL,
  principal_id   text,
  method         text        NOT NULL,
  route          text        NOT NULL,
  target         text,
  status         integer     NOT NULL
);
