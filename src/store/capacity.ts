import type { CapacityFit, LoadLatencyPoint } from '../planner/capacity-model.js';
import type { Db } from './db.js';
import { SAMPLE_MINUTE_SQL, type TimeRange } from './metrics.js';

/** The app gauge that carries the configuration version an instance runs (the sample service exports it). */
export const CONFIG_VERSION_METRIC = 'app_config_version';
/** Samples from apps that do not report a configuration version are grouped under this one. */
export const UNVERSIONED = 'unversioned';

export interface InstanceLoadPoint extends LoadLatencyPoint {
  instanceId: string;
  configVersion: string;
  /** Epoch seconds of the minute. */
  minute: number;
}

const MAX_POINTS = 500_000;

/**
 * Per instance, configuration and minute: the load served (requests ÷ seconds covered) and the
 * request-weighted p95 of its samples. Minutes are the unit because a single few-second sample's
 * p95 rests on too few requests; a sample counts in the minute its demand counts in
 * (SAMPLE_MINUTE_SQL), so load and demand agree minute by minute. Idle samples (no requests, so
 * no latency) are left out.
 */
export async function loadLatencyPoints(
  db: Db,
  resourceSetId: string,
  instanceIds: readonly string[],
  range: TimeRange,
): Promise<InstanceLoadPoint[]> {
  const { rows } = await db.query<{
    instance_id: string;
    config_version: string;
    minute: number;
    load: number;
    p95: number;
  }>(
    `SELECT instance_id, coalesce(custom->>'${CONFIG_VERSION_METRIC}', '${UNVERSIONED}') AS config_version,
            (${SAMPLE_MINUTE_SQL})::float8 AS minute,
            sum(requests)::float8 / (sum(interval_ms)::float8 / 1000) AS load,
            sum(latency_p95_ms * requests) / sum(requests) AS p95
       FROM metric_samples
      WHERE resource_set_id = $1 AND instance_id = ANY($2::text[]) AND ts >= to_timestamp($3::float8) AND ts < to_timestamp($4::float8)
        AND requests > 0 AND latency_p95_ms IS NOT NULL
      GROUP BY 1, 2, 3
      -- Beyond the cap, the newest minutes are the ones worth keeping.
      ORDER BY 3 DESC
      LIMIT ${MAX_POINTS}`,
    [resourceSetId, instanceIds, range.from, range.to],
  );
  return rows.map((r) => ({
    instanceId: r.instance_id,
    configVersion: r.config_version,
    minute: r.minute,
    load: r.load,
    latencyP95Ms: r.p95,
  }));
}

export interface CapacityModel {
  resourceSetId: string;
  instanceType: string;
  configVersion: string;
  sloP95Ms: number;
  fit: CapacityFit;
  /** ISO 8601 of the newest minute behind the fit. */
  lastSampleAt: string;
  fittedAt: string;
}

/** Replaces the model of one (resource set, instance type, configuration). */
export async function saveCapacityModel(db: Db, model: Omit<CapacityModel, 'fittedAt'>): Promise<void> {
  const { fit } = model;
  await db.query(
    `INSERT INTO capacity_models (resource_set_id, instance_type, config_version, slo_p95_ms, status, capacity, samples, coverage, r2, fit, last_sample_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
     ON CONFLICT (resource_set_id, instance_type, config_version) DO UPDATE SET
       slo_p95_ms = EXCLUDED.slo_p95_ms, status = EXCLUDED.status, capacity = EXCLUDED.capacity, samples = EXCLUDED.samples,
       coverage = EXCLUDED.coverage, r2 = EXCLUDED.r2, fit = EXCLUDED.fit, last_sample_at = EXCLUDED.last_sample_at, fitted_at = now()`,
    [
      model.resourceSetId,
      model.instanceType,
      model.configVersion,
      model.sloP95Ms,
      fit.status,
      fit.capacity,
      fit.samples,
      fit.coverage,
      fit.r2,
      JSON.stringify(fit),
      model.lastSampleAt,
    ],
  );
}

type Row = {
  resource_set_id: string;
  instance_type: string;
  config_version: string;
  slo_p95_ms: number;
  fit: CapacityFit;
  last_sample_at: Date;
  fitted_at: Date;
};

export async function listCapacityModels(db: Db, resourceSetId: string): Promise<CapacityModel[]> {
  const { rows } = await db.query<Row>(
    `SELECT resource_set_id, instance_type, config_version, slo_p95_ms, fit, last_sample_at, fitted_at
       FROM capacity_models WHERE resource_set_id = $1 ORDER BY instance_type, last_sample_at DESC`,
    [resourceSetId],
  );
  return rows.map((r) => ({
    resourceSetId: r.resource_set_id,
    instanceType: r.instance_type,
    configVersion: r.config_version,
    sloP95Ms: r.slo_p95_ms,
    fit: r.fit,
    lastSampleAt: r.last_sample_at.toISOString(),
    fittedAt: r.fitted_at.toISOString(),
  }));
}

/**
 * Requests/s one instance serves within the SLO: the learned figure for this instance type and
 * configuration, else `fallback` (the conservative default) until enough data has been seen.
 * With configVersion null, the configuration whose samples are newest — the one running now,
 * as far as the last fit knows — answers. Given the SLO in force, a figure learned for another
 * SLO is not used (the next fit relearns it).
 */
export async function capacityFor(
  db: Db,
  resourceSetId: string,
  instanceType: string,
  configVersion: string | null,
  fallback: number,
  sloP95Ms?: number,
): Promise<number> {
  const { rows } = await db.query<CapacityRow>(
    `SELECT status, capacity, slo_p95_ms FROM capacity_models
      WHERE resource_set_id = $1 AND instance_type = $2 AND ($3::text IS NULL OR config_version = $3)
      ORDER BY last_sample_at DESC LIMIT 1`,
    [resourceSetId, instanceType, configVersion],
  );
  return usableCapacity(rows[0], sloP95Ms) ?? fallback;
}

/**
 * capacityFor of every instance type the set has a learned figure for, in one query: the
 * configuration whose samples are newest per type, as capacityFor with configVersion null.
 */
export async function learnedCapacities(
  db: Db,
  resourceSetId: string,
  sloP95Ms?: number,
): Promise<Map<string, number>> {
  const { rows } = await db.query<CapacityRow & { instance_type: string }>(
    `SELECT DISTINCT ON (instance_type) instance_type, status, capacity, slo_p95_ms FROM capacity_models
      WHERE resource_set_id = $1 ORDER BY instance_type, last_sample_at DESC`,
    [resourceSetId],
  );
  return new Map(
    rows.flatMap((row) => {
      const capacity = usableCapacity(row, sloP95Ms);
      return capacity === null ? [] : [[row.instance_type, capacity] as const];
    }),
  );
}

interface CapacityRow {
  status: string;
  capacity: number | null;
  slo_p95_ms: number;
}

/** A row's figure when it was learned, is positive and was learned for the SLO in force (when given). */
function usableCapacity(row: CapacityRow | undefined, sloP95Ms?: number): number | null {
  const usable =
    row?.status === 'learned' &&
    row.capacity !== null &&
    row.capacity > 0 &&
    (sloP95Ms === undefined || row.slo_p95_ms === sloP95Ms);
  return usable ? row.capacity : null;
}
