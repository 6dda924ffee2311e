import type { MetricBatch } from '../domain/metrics.js';
import type { Series } from '../forecast/types.js';
import type { Db } from './db.js';

/** A sample's fields and their columns; the ingest statement is written from this list. */
const SAMPLE_COLUMNS = [
  ['seq', 'seq', 'bigint'],
  ['intervalMs', 'interval_ms', 'integer'],
  ['requests', 'requests', 'bigint'],
  ['errors', 'errors', 'bigint'],
  ['latencyP50Ms', 'latency_p50_ms', 'float8'],
  ['latencyP95Ms', 'latency_p95_ms', 'float8'],
  ['latencyP99Ms', 'latency_p99_ms', 'float8'],
  ['poolUtilization', 'pool_utilization', 'float8'],
  ['queueDepth', 'queue_depth', 'float8'],
  ['cpuPercent', 'cpu_percent', 'float8'],
  ['memoryBytes', 'memory_bytes', 'float8'],
  ['processCpuPercent', 'process_cpu_percent', 'float8'],
  ['processRssBytes', 'process_rss_bytes', 'float8'],
  ['netRxBytesPerSec', 'net_rx_bytes_per_sec', 'float8'],
  ['netTxBytesPerSec', 'net_tx_bytes_per_sec', 'float8'],
  ['diskReadBytesPerSec', 'disk_read_bytes_per_sec', 'float8'],
  ['diskWriteBytesPerSec', 'disk_write_bytes_per_sec', 'float8'],
  ['custom', 'custom', 'jsonb'],
] as const;

const ROLLUP_SUMS = [
  'requests',
  'errors',
  'samples',
  'instance_seconds',
  'latency_p95_weighted',
  'latency_p95_requests',
  'pool_utilization_sum',
  'pool_utilization_samples',
] as const;

/**
 * SQL for the minute (epoch seconds) a stored sample's demand counts in: the one holding the
 * midpoint of its interval, (ts − interval_ms / 2). `ts` is the interval's end, so counting a
 * sample in the minute of `ts` moved the last interval of every minute (the one ending on its
 * edge, e.g. 12:00:55–12:01:00) into the next one. The agent's intervals are aligned to multiples
 * of an interval that divides a minute, so start, midpoint and end-minus-a-tick all name the same
 * minute for them; the midpoint is chosen for the samples that do straddle an edge (a late timer
 * skipping a boundary, whole-minute intervals, other clients): it puts a sample in the minute
 * holding most of it and shifts demand neither earlier (as the start would) nor later (as the end
 * did) on average. interval_ms is NOT NULL (and ≥ 1), so there is no sample without one to fall
 * back for. Numeric arithmetic (extract returns numeric since PostgreSQL 14), so the midpoint, a multiple of 0.5 ms,
 * is floored exactly; epoch seconds, so the session's time zone plays no part. Migration 014
 * restated the stored roll-up with this same expression.
 */
export const SAMPLE_MINUTE_SQL = 'floor((extract(epoch FROM ts) - interval_ms / 2000.0) / 60) * 60';

// One statement, so it is atomic without a transaction: the roll-up adds exactly the rows this
// statement inserted, and a retried batch (every (instance_id, seq) already there) adds nothing.
// The roll-up rows are upserted in minute order so that concurrent batches lock them in one order.
const INGEST_SQL = `
WITH input AS (
  SELECT * FROM jsonb_to_recordset($3::jsonb) AS s(ts bigint, ${SAMPLE_COLUMNS.map(([key, , type]) => `"${key}" ${type}`).join(', ')})
), inserted AS (
  INSERT INTO metric_samples (instance_id, resource_set_id, ts, ${SAMPLE_COLUMNS.map(([, column]) => column).join(', ')})
  SELECT $1::text, $2::text, to_timestamp(ts / 1000.0), ${SAMPLE_COLUMNS.map(([key]) => `"${key}"`).join(', ')} FROM input
  ON CONFLICT (instance_id, seq) DO NOTHING
  RETURNING ts, interval_ms, requests, errors, latency_p95_ms, pool_utilization
), rolled AS (
  INSERT INTO demand_minutely AS d (resource_set_id, minute, ${ROLLUP_SUMS.join(', ')})
  SELECT $2::text, to_timestamp(${SAMPLE_MINUTE_SQL}) AS minute,
    sum(requests), sum(errors), count(*), sum(interval_ms) / 1000.0,
    coalesce(sum(latency_p95_ms * requests), 0), coalesce(sum(requests) FILTER (WHERE latency_p95_ms IS NOT NULL), 0),
    coalesce(sum(pool_utilization), 0), count(pool_utilization)
  FROM inserted GROUP BY minute ORDER BY minute
  ON CONFLICT (resource_set_id, minute) DO UPDATE SET ${ROLLUP_SUMS.map((c) => `${c} = d.${c} + EXCLUDED.${c}`).join(', ')}
)
SELECT count(*)::int AS accepted FROM inserted`;

/**
 * Stores a batch; samples already stored ((instanceId, seq) seen before) are counted as
 * duplicates and change nothing. Expects a batch the API has checked for plausible magnitudes.
 */
export async function ingestBatch(db: Db, batch: MetricBatch): Promise<{ accepted: number; duplicates: number }> {
  const { rows } = await db.query<{ accepted: number }>(INGEST_SQL, [
    batch.instanceId,
    batch.resourceSetId,
    JSON.stringify(batch.samples),
  ]);
  const accepted = rows[0]?.accepted ?? 0;
  return { accepted, duplicates: batch.samples.length - accepted };
}

/** Time range [from, to) in epoch seconds. */
export interface TimeRange {
  from: number;
  to: number;
}

const MAX_SERIES_STEPS = 1_000_000;

/**
 * Requests per step from the per-minute roll-up, zero where nothing was recorded. Steps are
 * aligned to multiples of stepSeconds since the epoch: the first is the one holding `from`, the
 * last the one ending at or before `to`, so passing `to` = now yields no partial last step.
 */
export async function demandSeries(
  db: Db,
  resourceSetId: string,
  options: TimeRange & { stepSeconds: number },
): Promise<Series> {
  const { from, to, stepSeconds } = options;
  if (!Number.isInteger(stepSeconds) || stepSeconds <= 0 || stepSeconds % 60 !== 0) {
    throw new RangeError(
      `stepSeconds must be a positive multiple of 60, the roll-up's resolution (got ${stepSeconds})`,
    );
  }
  const start = Math.floor(from / stepSeconds) * stepSeconds;
  const end = Math.floor(to / stepSeconds) * stepSeconds;
  const steps = Math.max(0, (end - start) / stepSeconds);
  if (!Number.isFinite(start) || steps > MAX_SERIES_STEPS)
    throw new RangeError(`a series of ${steps} steps is too long`);
  const values = new Array<number>(steps).fill(0);
  if (steps === 0) return { start, stepSeconds, values };
  const { rows } = await db.query<{ step: number; requests: number }>(
    `SELECT floor((extract(epoch FROM minute) - $2::float8) / $4::float8)::float8 AS step, sum(requests) AS requests
       FROM demand_minutely
      WHERE resource_set_id = $1 AND minute >= to_timestamp($2::float8) AND minute < to_timestamp($3::float8)
      GROUP BY 1`,
    [resourceSetId, start, end, stepSeconds],
  );
  for (const row of rows) values[row.step] = row.requests;
  return { start, stepSeconds, values };
}

/**
 * The latest whole step's demand in requests per second — the last value of
 * demandRate(demandSeries(…)) over the same range, without reading the range: null when no
 * demand was recorded in it at all. Two index probes, whatever the range's length.
 */
export async function latestDemand(
  db: Db,
  resourceSetId: string,
  options: TimeRange & { stepSeconds: number },
): Promise<number | null> {
  const { from, to, stepSeconds } = options;
  const start = Math.floor(from / stepSeconds) * stepSeconds;
  const end = Math.floor(to / stepSeconds) * stepSeconds;
  if (!(end > start)) return null;
  const { rows } = await db.query<{ any: boolean; last: number | null }>(
    `SELECT EXISTS (SELECT 1 FROM demand_minutely WHERE resource_set_id = $1 AND minute >= to_timestamp($2::float8)
                      AND minute < to_timestamp($4::float8) AND requests > 0) AS any,
            (SELECT sum(requests) FROM demand_minutely WHERE resource_set_id = $1 AND minute >= to_timestamp($3::float8)
                      AND minute < to_timestamp($4::float8)) AS last`,
    [resourceSetId, start, end - stepSeconds, end],
  );
  const row = rows[0];
  return row?.any ? (row.last ?? 0) / stepSeconds : null;
}

/** One value per sample, oldest first; NaN where the sample did not measure it. */
export interface InstanceSamples {
  /** Epoch seconds of each sample's interval end. */
  ts: number[];
  requests: number[];
  /** errors ÷ requests; NaN for an interval without requests. */
  errorRate: number[];
  latencyP50Ms: number[];
  latencyP95Ms: number[];
  latencyP99Ms: number[];
  poolUtilization: number[];
  cpuPercent: number[];
  processCpuPercent: number[];
  /** Every custom metric any of the instance's samples carried, NaN in the samples without it. */
  custom: Record<string, number[]>;
}

type StatRow = {
  instance_id: string;
  ts: number;
  requests: number;
  errors: number;
  custom: Record<string, number>;
} & Record<
  'latency_p50_ms' | 'latency_p95_ms' | 'latency_p99_ms' | 'pool_utilization' | 'cpu_percent' | 'process_cpu_percent',
  number | null
>;

const MAX_STATS_WINDOW_SECONDS = 86_400;

/**
 * Per-instance samples over [from, to), for comparing instances (the canary judge). Every
 * requested instance is in the answer, with empty arrays when it reported nothing.
 */
export async function instanceStats(
  db: Db,
  resourceSetId: string,
  instanceIds: readonly string[],
  range: TimeRange,
): Promise<Record<string, InstanceSamples>> {
  if (!(range.to - range.from <= MAX_STATS_WINDOW_SECONDS)) {
    throw new RangeError(
      `instanceStats reads at most ${MAX_STATS_WINDOW_SECONDS} s of raw samples (got ${range.to - range.from} s)`,
    );
  }
  const { rows } = await db.query<StatRow>(
    `SELECT instance_id, extract(epoch FROM ts)::float8 AS ts, requests::float8 AS requests, errors::float8 AS errors,
            latency_p50_ms, latency_p95_ms, latency_p99_ms, pool_utilization, cpu_percent, process_cpu_percent, custom
       FROM metric_samples
      WHERE resource_set_id = $1 AND instance_id = ANY($2::text[]) AND ts >= to_timestamp($3::float8) AND ts < to_timestamp($4::float8)
      ORDER BY instance_id, ts, seq`,
    [resourceSetId, instanceIds, range.from, range.to],
  );
  const result: Record<string, InstanceSamples> = {};
  for (const id of instanceIds) {
    result[id] = {
      ts: [],
      requests: [],
      errorRate: [],
      latencyP50Ms: [],
      latencyP95Ms: [],
      latencyP99Ms: [],
      poolUtilization: [],
      cpuPercent: [],
      processCpuPercent: [],
      custom: {},
    };
  }
  const orNaN = (v: number | null): number => v ?? NaN;
  for (const row of rows) {
    const s = result[row.instance_id]!;
    const i = s.ts.length;
    s.ts.push(row.ts);
    s.requests.push(row.requests);
    s.errorRate.push(row.requests > 0 ? row.errors / row.requests : NaN);
    s.latencyP50Ms.push(orNaN(row.latency_p50_ms));
    s.latencyP95Ms.push(orNaN(row.latency_p95_ms));
    s.latencyP99Ms.push(orNaN(row.latency_p99_ms));
    s.poolUtilization.push(orNaN(row.pool_utilization));
    s.cpuPercent.push(orNaN(row.cpu_percent));
    s.processCpuPercent.push(orNaN(row.process_cpu_percent));
    for (const [name, value] of Object.entries(row.custom))
      (s.custom[name] ??= new Array<number>(i).fill(NaN)).push(value);
    for (const values of Object.values(s.custom)) if (values.length === i) values.push(NaN);
  }
  return result;
}

export interface InstanceLoad {
  instanceId: string;
  /** Requests over the seconds its samples cover. */
  requestsPerSecond: number;
  /** Mean of its samples' pool utilisation; null when none measured it. */
  poolUtilization: number | null;
  samples: number;
}

export interface FleetUtilization {
  instances: InstanceLoad[];
  /** Sum over instances. */
  requestsPerSecond: number;
  /** Mean over the instances that measured it, each counted once (the HPA's per-instance mean). */
  meanPoolUtilization: number | null;
}

/** Load per instance from the samples whose interval ended in (now − windowSeconds, now]. */
export async function fleetUtilization(
  db: Db,
  resourceSetId: string,
  options: { windowSeconds: number; now: number },
): Promise<FleetUtilization> {
  const { rows } = await db.query<{
    instance_id: string;
    requests: number;
    seconds: number;
    pool: number | null;
    samples: number;
  }>(
    `SELECT instance_id, sum(requests)::float8 AS requests, sum(interval_ms)::float8 / 1000 AS seconds,
            avg(pool_utilization) AS pool, count(*)::int AS samples
       FROM metric_samples
      WHERE resource_set_id = $1 AND ts > to_timestamp($2::float8) AND ts <= to_timestamp($3::float8)
      GROUP BY instance_id ORDER BY instance_id`,
    [resourceSetId, options.now - options.windowSeconds, options.now],
  );
  const instances = rows.map((r) => ({
    instanceId: r.instance_id,
    requestsPerSecond: r.requests / r.seconds,
    poolUtilization: r.pool,
    samples: r.samples,
  }));
  const pools = instances.flatMap((i) => (i.poolUtilization === null ? [] : [i.poolUtilization]));
  return {
    instances,
    requestsPerSecond: instances.reduce((sum, i) => sum + i.requestsPerSecond, 0),
    meanPoolUtilization: pools.length > 0 ? pools.reduce((a, b) => a + b, 0) / pools.length : null,
  };
}

export interface RetentionOptions {
  /** Raw samples older than this go; default 7. */
  rawDays?: number;
  /** Per-minute roll-ups older than this go; default 90. */
  rollupDays?: number;
  /** Rows per DELETE, so no statement holds locks or WAL for long; default 5,000. */
  batchSize?: number;
  /** Epoch seconds; default the clock. */
  now?: number;
}

/** Deletes expired samples and roll-ups, a bounded batch per statement, until none is left. */
export async function applyRetention(
  db: Db,
  options: RetentionOptions = {},
): Promise<{ rawDeleted: number; rollupDeleted: number }> {
  const { rawDays = 7, rollupDays = 90, batchSize = 5_000, now = Date.now() / 1000 } = options;
  for (const [name, value] of Object.entries({ rawDays, rollupDays, batchSize })) {
    if (!(value > 0) || !Number.isFinite(value))
      throw new RangeError(`${name} must be a positive number (got ${value})`);
  }
  const deleteAll = async (sql: string, days: number): Promise<number> => {
    let total = 0;
    for (;;) {
      const { rowCount } = await db.query(sql, [now - days * 86_400, batchSize]);
      total += rowCount ?? 0;
      if ((rowCount ?? 0) < batchSize) return total;
    }
  };
  const rawDeleted = await deleteAll(
    `DELETE FROM metric_samples m USING (SELECT instance_id, seq FROM metric_samples WHERE ts < to_timestamp($1::float8) LIMIT $2) old
      WHERE m.instance_id = old.instance_id AND m.seq = old.seq`,
    rawDays,
  );
  const rollupDeleted = await deleteAll(
    `DELETE FROM demand_minutely m USING (SELECT resource_set_id, minute FROM demand_minutely WHERE minute < to_timestamp($1::float8) LIMIT $2) old
      WHERE m.resource_set_id = old.resource_set_id AND m.minute = old.minute`,
    rollupDays,
  );
  return { rawDeleted, rollupDeleted };
}

/**
 * Seeds per-minute demand for minutes that have none (never adds to measured ones): history for a
 * resource set that is new here but whose demand is known, e.g. the demo's replayed trace.
 */
export async function backfillDemand(
  db: Db,
  resourceSetId: string,
  minutes: readonly { minute: number; requests: number }[],
): Promise<number> {
  if (minutes.length === 0) return 0;
  const { rowCount } = await db.query(
    `INSERT INTO demand_minutely (resource_set_id, minute, requests, errors, samples, instance_seconds,
       latency_p95_weighted, latency_p95_requests, pool_utilization_sum, pool_utilization_samples)
     SELECT $1, to_timestamp(m), r, 0, 0, 0, 0, 0, 0, 0 FROM unnest($2::float8[], $3::float8[]) AS t(m, r)
     ON CONFLICT (resource_set_id, minute) DO NOTHING`,
    [resourceSetId, minutes.map((m) => Math.floor(m.minute / 60) * 60), minutes.map((m) => m.requests)],
  );
  return rowCount ?? 0;
}
