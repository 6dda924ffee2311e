import type { Db } from '../../src/store/db.js';

// Demand for benchmark sets, written straight to the store in bulk (as many agents' pushes would
// leave it): a daily sine around a per-set base, with noise, so that forecasts have a season.

const DAY = 86_400;

/** Deterministic noise in [-1, 1) from integers (no state to carry between calls). */
function noise(a: number, b: number): number {
  let h = (a * 0x9e3779b1) ^ (b * 0x85ebca77);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  h = Math.imul(h ^ (h >>> 12), 0x297a2d39);
  return ((h ^ (h >>> 15)) >>> 0) / 2 ** 31 - 1;
}

/** Requests per second of set `k` during the minute starting at `minute` (epoch seconds). */
export function syntheticRate(k: number, minute: number): number {
  const base = 40 + ((k * 37) % 160);
  const phase = (k % 24) / 24;
  return Math.max(1, base * (1 + 0.6 * Math.sin(2 * Math.PI * (minute / DAY + phase)) + 0.08 * noise(k, minute / 60)));
}

/** Per-minute roll-ups of sets `ids` (set k is ids[k]) over [from, to), minutes aligned; a few statements of ≤ 200,000 rows. */
export async function backfillSyntheticDemand(
  db: Pick<Db, 'query'>,
  ids: readonly string[],
  from: number,
  to: number,
): Promise<number> {
  const first = Math.ceil(from / 60) * 60;
  const minutes = Array.from({ length: Math.max(0, Math.floor((to - first) / 60)) }, (_, i) => first + i * 60);
  const setsPerStatement = Math.max(1, Math.floor(200_000 / Math.max(1, minutes.length)));
  let rows = 0;
  for (let k0 = 0; k0 < ids.length; k0 += setsPerStatement) {
    const setIds: string[] = [];
    const at: number[] = [];
    const requests: number[] = [];
    for (let k = k0; k < Math.min(ids.length, k0 + setsPerStatement); k++) {
      for (const m of minutes) {
        setIds.push(ids[k]!);
        at.push(m);
        requests.push(Math.round(syntheticRate(k, m) * 60));
      }
    }
    const { rowCount } = await db.query(
      `INSERT INTO demand_minutely (resource_set_id, minute, requests, errors, samples, instance_seconds,
         latency_p95_weighted, latency_p95_requests, pool_utilization_sum, pool_utilization_samples)
       SELECT s, to_timestamp(m), r, 0, 1, 60, 0, 0, 0, 0 FROM unnest($1::text[], $2::float8[], $3::float8[]) AS t(s, m, r)
       ON CONFLICT (resource_set_id, minute) DO NOTHING`,
      [setIds, at, requests],
    );
    rows += rowCount ?? 0;
  }
  return rows;
}

/**
 * One minute of every set's demand as its agents would push it: a sample per serving instance
 * (load per instance) and the minute's roll-up row (demand). Two statements for all sets.
 */
export async function feedMinute(
  db: Pick<Db, 'query'>,
  ids: readonly string[],
  minute: number,
  instancesOf: (id: string) => readonly string[],
): Promise<void> {
  const setIds: string[] = [];
  const requests: number[] = [];
  const sampleSet: string[] = [];
  const sampleInstance: string[] = [];
  const sampleRequests: number[] = [];
  ids.forEach((id, k) => {
    const total = Math.round(syntheticRate(k, minute) * 60);
    setIds.push(id);
    requests.push(total);
    const instances = instancesOf(id);
    for (const instance of instances) {
      sampleSet.push(id);
      sampleInstance.push(instance);
      sampleRequests.push(Math.round(total / instances.length));
    }
  });
  await db.query(
    `INSERT INTO demand_minutely (resource_set_id, minute, requests, errors, samples, instance_seconds,
       latency_p95_weighted, latency_p95_requests, pool_utilization_sum, pool_utilization_samples)
     SELECT s, to_timestamp($2::float8), r, 0, 1, 60, 0, 0, 0, 0 FROM unnest($1::text[], $3::float8[]) AS t(s, r)
     ON CONFLICT (resource_set_id, minute) DO UPDATE SET requests = EXCLUDED.requests`,
    [setIds, minute, requests],
  );
  // The sample's interval ends with the minute: it counts in the load window of the loops that observe next.
  await db.query(
    `INSERT INTO metric_samples (instance_id, seq, resource_set_id, ts, interval_ms, requests, errors)
     SELECT i, $2::bigint, s, to_timestamp($2::float8 + 60), 60000, r, 0 FROM unnest($1::text[], $3::text[], $4::bigint[]) AS t(s, i, r)
     ON CONFLICT (instance_id, seq) DO NOTHING`,
    [sampleSet, minute, sampleInstance, sampleRequests],
  );
}
