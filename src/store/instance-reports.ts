import { CONFIG_VERSION_METRIC } from './capacity.js';
import type { Db } from './db.js';

/** An instance as its agent last described it. */
export interface InstanceReport {
  instanceId: string;
  /** Epoch seconds of the end of its latest sample's interval. */
  lastSampleAt: number;
  intervalSeconds: number;
  /** The configuration revision its app runs (the app's gauge); null when the app does not say. */
  configRevision: number | null;
  requestsPerSecond: number;
  /** errors ÷ requests over the latest interval; null without requests. */
  errorRate: number | null;
  latencyP95Ms: number | null;
  poolUtilization: number | null;
}

/** The latest sample of every instance that reported in (now − windowSeconds, now], by instance id. */
export async function latestInstanceReports(
  db: Db,
  resourceSetId: string,
  options: { now: number; windowSeconds: number },
): Promise<InstanceReport[]> {
  const { rows } = await db.query<InstanceReport>(
    `SELECT DISTINCT ON (instance_id) instance_id AS "instanceId", extract(epoch FROM ts)::float8 AS "lastSampleAt",
            interval_ms / 1000.0::float8 AS "intervalSeconds", (custom->>'${CONFIG_VERSION_METRIC}')::float8 AS "configRevision",
            requests::float8 / (interval_ms / 1000.0::float8) AS "requestsPerSecond",
            CASE WHEN requests > 0 THEN errors::float8 / requests END AS "errorRate",
            latency_p95_ms AS "latencyP95Ms", pool_utilization AS "poolUtilization"
       FROM metric_samples
      WHERE resource_set_id = $1 AND ts > to_timestamp($2::float8) AND ts <= to_timestamp($3::float8)
      ORDER BY instance_id, ts DESC, seq DESC`,
    [resourceSetId, options.now - options.windowSeconds, options.now],
  );
  return rows;
}
