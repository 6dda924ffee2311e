#!/usr/bin/env bash
# The Temporal server on PostgreSQL without Docker: creates its two databases and applies their
# schema (every step idempotent, so it runs on every start, and a newer server's schema versions
# are applied before it starts), then runs the server in the foreground with config/postgres.yaml.
#
#   deploy/temporal-postgres/start.sh        # frontend on 127.0.0.1:7233
#
# Needs temporal-server and temporal-sql-tool on PATH (.ci/run builds them with `go install`).
# Every setting below can be overridden from the environment; the password goes in SQL_PASSWORD,
# which keeps it off command lines.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

export TEMPORAL_DB_HOST="${TEMPORAL_DB_HOST:-127.0.0.1}"
export TEMPORAL_DB_PORT="${TEMPORAL_DB_PORT:-5432}"
export TEMPORAL_DB_USER="${TEMPORAL_DB_USER:-postgres}"
export SQL_PASSWORD="${SQL_PASSWORD:-}"
export TEMPORAL_DB="${TEMPORAL_DB:-temporal}"
export TEMPORAL_VISIBILITY_DB="${TEMPORAL_VISIBILITY_DB:-temporal_visibility}"
# Upstream's development ports.
export TEMPORAL_FRONTEND_PORT="${TEMPORAL_FRONTEND_PORT:-7233}"
export TEMPORAL_FRONTEND_HTTP_PORT="${TEMPORAL_FRONTEND_HTTP_PORT:-7243}"
export TEMPORAL_FRONTEND_MEMBERSHIP_PORT="${TEMPORAL_FRONTEND_MEMBERSHIP_PORT:-6933}"
export TEMPORAL_HISTORY_PORT="${TEMPORAL_HISTORY_PORT:-7234}"
export TEMPORAL_HISTORY_MEMBERSHIP_PORT="${TEMPORAL_HISTORY_MEMBERSHIP_PORT:-6934}"
export TEMPORAL_MATCHING_PORT="${TEMPORAL_MATCHING_PORT:-7235}"
export TEMPORAL_MATCHING_MEMBERSHIP_PORT="${TEMPORAL_MATCHING_MEMBERSHIP_PORT:-6935}"
export TEMPORAL_WORKER_PORT="${TEMPORAL_WORKER_PORT:-7239}"
export TEMPORAL_WORKER_MEMBERSHIP_PORT="${TEMPORAL_WORKER_MEMBERSHIP_PORT:-6939}"

# The schema files are embedded in temporal-sql-tool (--schema-name): the same versioned
# directories as the module's schema/postgresql/v12, always matching the tool's version.
for pair in "$TEMPORAL_DB:temporal" "$TEMPORAL_VISIBILITY_DB:visibility"; do
  db="${pair%%:*}" schema="${pair##*:}"
  sql=(temporal-sql-tool --plugin postgres12 --ep "$TEMPORAL_DB_HOST" -p "$TEMPORAL_DB_PORT" -u "$TEMPORAL_DB_USER" --db "$db")
  "${sql[@]}" create-database
  # A no-op once the database has a schema version above 0.0.
  "${sql[@]}" setup-schema -v 0.0
  "${sql[@]}" update-schema --schema-name "postgresql/v12/$schema"
done

# exec: the server takes this process's place, so signals reach it directly.
exec temporal-server --root "$here" --config config --env postgres --allow-no-auth start
