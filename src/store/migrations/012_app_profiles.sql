-- App profiles: immutable, numbered versions of what Prescale knows about one application (its
-- parameters, software, health check and configuration delivery). The document is the validated
-- profile as canonical JSON text, so it reads back byte for byte and its hash can be checked.
CREATE TABLE app_profile_versions (
  profile      text        NOT NULL,
  version      integer     NOT NULL CHECK (version >= 1),
  content_hash text        NOT NULL,
  document     text        NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (profile, version),
  UNIQUE (profile, content_hash)
);

-- Each template version was validated against one profile version; versions made before profiles
-- existed were the sample service's, whose shipped profile is seeded as its version 1.
-- `retired_at`: a retired version stays readable (running sets and history name it) but cannot be
-- newly rolled out.
ALTER TABLE template_versions
  ADD COLUMN profile text NOT NULL DEFAULT 'sample-service',
  ADD COLUMN profile_version integer NOT NULL DEFAULT 1,
  ADD COLUMN retired_at timestamptz;
ALTER TABLE template_versions ALTER COLUMN profile DROP DEFAULT, ALTER COLUMN profile_version DROP DEFAULT;
