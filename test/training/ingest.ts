// Puts synthetic history into the metrics store: demand as the demo's backfill does, per-instance
// load and latency the way agents report it, through ingestBatch.
import type { Series } from '../../src/forecast/types.js';
import type { Db } from '../../src/store/db.js';
import { backfillDemand, ingestBatch } from '../../src/store/metrics.js';
import { sample } from '../metrics/samples.js';

const BATCH = 1000;

/** A series of requests per 1-minute step as the resource set's demand. */
export async function ingestDemand(db: Db, resourceSetId: string, series: Series): Promise<void> {
  if (series.stepSeconds !== 60) throw new RangeError('demand is stored per minute');
  await backfillDemand(
    db,
    resourceSetId,
    series.values.map((requests, i) => ({ minute: series.start + i * 60, requests })),
  );
}

/**
 * One sample per minute from `startMinute` (epoch seconds): the load served and its p95, tagged
 * with a configuration version as the sample service's agent tags them. `seqBase` keeps clear of
 * the sequence numbers a real agent of the same instance uses.
 */
export async function ingestLoadLatency(
  db: Db,
  options: {
    resourceSetId: string;
    instanceId: string;
    startMinute: number;
    points: { load: number; latencyP95Ms: number }[];
    configVersion: number;
    seqBase?: number;
  },
): Promise<void> {
  const { resourceSetId, instanceId, startMinute, points, configVersion, seqBase = 0 } = options;
  const samples = points.map((p, i) =>
    sample(seqBase + i, (startMinute + i * 60 + 30) * 1000, {
      intervalMs: 60_000,
      requests: Math.round(p.load * 60),
      latencyP95Ms: p.latencyP95Ms,
      custom: { app_config_version: configVersion },
    }),
  );
  for (let i = 0; i < samples.length; i += BATCH)
    await ingestBatch(db, { resourceSetId, instanceId, samples: samples.slice(i, i + BATCH) });
}
