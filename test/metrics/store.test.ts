import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { MetricSample } from '../../src/domain/metrics.js';
import { startEmbeddedPostgres } from '../../src/infra/embedded-postgres.js';
import { seededRandom } from '../../src/domain/random.js';
import { createPool, type Db } from '../../src/store/db.js';
import { loadMigrations, migrate } from '../../src/store/migrate.js';
import { loadLatencyPoints } from '../../src/store/capacity.js';
import { DemandHistory } from '../../src/activities/demand-history.js';
import { demandRate } from '../../src/forecast/series.js';
import {
  applyRetention,
  backfillDemand,
  demandSeries,
  fleetUtilization,
  ingestBatch,
  instanceStats,
  latestDemand,
} from '../../src/store/metrics.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { freePort } from '../support/ports.js';
import { batch, sample } from './samples.js';

// 2025-01-01T00:00:00Z: a whole hour, so minute and step boundaries are easy to reason about.
const T0 = Date.UTC(2025, 0, 1) / 1000;
const ms = (epochSeconds: number) => Math.round(epochSeconds * 1000);

type RollupRow = Record<
  | 'minute'
  | 'requests'
  | 'errors'
  | 'samples'
  | 'instance_seconds'
  | 'latency_p95_weighted'
  | 'latency_p95_requests'
  | 'pool_utilization_sum'
  | 'pool_utilization_samples',
  number
>;

async function rollup(db: Db, resourceSetId: string): Promise<RollupRow[]> {
  const { rows } = await db.query<RollupRow>(
    `SELECT extract(epoch FROM minute)::float8 AS minute, requests, errors, samples::int AS samples, instance_seconds,
            latency_p95_weighted, latency_p95_requests, pool_utilization_sum, pool_utilization_samples::int AS pool_utilization_samples
       FROM demand_minutely WHERE resource_set_id = $1 ORDER BY minute`,
    [resourceSetId],
  );
  return rows;
}

/**
 * The minute (epoch seconds) a sample's demand counts in: the one holding its interval's midpoint,
 * its interval being the intervalMs that end at ts.
 */
const midpointMinute = (s: MetricSample) => Math.floor((s.ts - s.intervalMs / 2) / 60_000) * 60;
/** The rule before migration 014: the minute holding the interval's end. */
const endMinute = (s: MetricSample) => Math.floor(s.ts / 60_000) * 60;

/** The roll-up computed in plain code from what was sent (each (instance, seq) counted once). */
function expectedRollup(sent: { instanceId: string; samples: MetricSample[] }[], minuteOf = midpointMinute) {
  const seen = new Set<string>();
  const byMinute = new Map<number, Record<string, number>>();
  for (const { instanceId, samples } of sent) {
    for (const s of samples) {
      if (seen.has(`${instanceId}/${s.seq}`)) continue;
      seen.add(`${instanceId}/${s.seq}`);
      const minute = minuteOf(s);
      const m = byMinute.get(minute) ?? {
        minute,
        requests: 0,
        errors: 0,
        samples: 0,
        instance_seconds: 0,
        latency_p95_weighted: 0,
        latency_p95_requests: 0,
        pool_utilization_sum: 0,
        pool_utilization_samples: 0,
      };
      m.requests! += s.requests;
      m.errors! += s.errors;
      m.samples! += 1;
      m.instance_seconds! += s.intervalMs / 1000;
      if (s.latencyP95Ms !== null) {
        m.latency_p95_weighted! += s.latencyP95Ms * s.requests;
        m.latency_p95_requests! += s.requests;
      }
      if (s.poolUtilization !== null) {
        m.pool_utilization_sum! += s.poolUtilization;
        m.pool_utilization_samples! += 1;
      }
      byMinute.set(minute, m);
    }
  }
  return [...byMinute.values()].sort((a, b) => a.minute! - b.minute!);
}

function assertRollupClose(actual: RollupRow[], expected: Record<string, number>[]): void {
  assert.equal(actual.length, expected.length, 'one roll-up row per minute with samples');
  actual.forEach((row, i) => {
    for (const [key, value] of Object.entries(expected[i]!)) {
      assert.ok(
        Math.abs(row[key as keyof RollupRow] - value) <= 1e-9 * Math.max(1, Math.abs(value)),
        `minute ${row.minute} ${key}: ${row[key as keyof RollupRow]} vs ${value}`,
      );
    }
  });
}

/** Agent-like samples: every 10 s, with some fields unmeasured now and then. */
function agentSamples(random: () => number, firstSeq: number, count: number, startSeconds: number): MetricSample[] {
  return Array.from({ length: count }, (_, i) => {
    const requests = Math.floor(random() * 500);
    return sample(firstSeq + i, ms(startSeconds + 10 * (i + 1)), {
      requests,
      errors: Math.floor(requests * random() * 0.05),
      latencyP95Ms: random() < 0.1 ? null : 20 + random() * 80,
      poolUtilization: random() < 0.1 ? null : random(),
    });
  });
}

describe('metrics store (real Postgres)', () => {
  let database: TestDatabase;
  let db: Db;
  before(async () => {
    database = await createTestDatabase();
    db = database.db;
  });
  after(async () => {
    await database.drop();
  });

  it('stores a batch, every field in its column; the same batch again is stored once and leaves the roll-up as it was', async () => {
    const samples = [
      sample(1, ms(T0 + 10), {
        requests: 100,
        errors: 2,
        latencyP50Ms: 5,
        latencyP95Ms: 40,
        latencyP99Ms: 90,
        poolUtilization: 0.5,
        queueDepth: 3,
        cpuPercent: 55,
        memoryBytes: 1e9,
        processCpuPercent: 30,
        processRssBytes: 2e8,
        netRxBytesPerSec: 1000,
        netTxBytesPerSec: 2000,
        diskReadBytesPerSec: 10,
        diskWriteBytesPerSec: 20,
        custom: { cache_hit_ratio: 0.9 },
      }),
      sample(2, ms(T0 + 20), { requests: 50, latencyP95Ms: 60 }),
      sample(3, ms(T0 + 70), { requests: 10 }),
    ];
    const b = batch('rs-once', 'once-1', samples);
    assert.deepEqual(await ingestBatch(db, b), { accepted: 3, duplicates: 0 });
    const first = await rollup(db, 'rs-once');
    assert.deepEqual(await ingestBatch(db, b), { accepted: 0, duplicates: 3 });
    assert.deepEqual(await rollup(db, 'rs-once'), first, 'a retried batch changes no roll-up');

    const { rows } = await db.query(
      `SELECT *, extract(epoch FROM ts)::float8 AS epoch FROM metric_samples WHERE instance_id = 'once-1' ORDER BY seq`,
    );
    assert.equal(rows.length, 3);
    assert.equal(rows[0].epoch, T0 + 10);
    assert.equal(rows[0].resource_set_id, 'rs-once');
    assert.equal(rows[0].requests, '100');
    assert.equal(rows[0].latency_p99_ms, 90);
    assert.equal(rows[0].disk_write_bytes_per_sec, 20);
    assert.deepEqual(rows[0].custom, { cache_hit_ratio: 0.9 });
    assert.equal(rows[1].cpu_percent, null);

    assertRollupClose(first, expectedRollup([b]));
    assert.equal(first[0]!.requests, 150);
    assert.equal(
      first[0]!.latency_p95_weighted / first[0]!.latency_p95_requests,
      (100 * 40 + 50 * 60) / 150,
      'request-weighted p95',
    );

    // A batch that overlaps the stored one: only its new samples count.
    const overlap = batch('rs-once', 'once-1', [samples[2]!, sample(4, ms(T0 + 80), { requests: 7 })]);
    assert.deepEqual(await ingestBatch(db, overlap), { accepted: 1, duplicates: 1 });
    assert.equal((await rollup(db, 'rs-once'))[1]!.requests, 17);
  });

  it('keeps the roll-up equal to the sum of distinct samples under concurrent, repeated, overlapping batches', async () => {
    const random = seededRandom(7);
    const sent: { instanceId: string; samples: MetricSample[] }[] = [];
    for (const instanceId of ['sum-a', 'sum-b', 'sum-c', 'sum-d']) {
      // 3 minutes of 10-s samples per instance, cut into overlapping batches.
      const all = agentSamples(random, 0, 18, T0 + 3600);
      for (let from = 0; from < all.length; from += 4) sent.push({ instanceId, samples: all.slice(from, from + 6) });
    }
    const batches = [...sent, ...sent].map(({ instanceId, samples }) => batch('rs-sum', instanceId, samples));
    const results = await Promise.all(batches.map((b) => ingestBatch(db, b)));
    assert.equal(
      results.reduce((n, r) => n + r.accepted, 0),
      4 * 18,
      'each (instance, seq) accepted exactly once',
    );
    assert.equal(
      results.reduce((n, r) => n + r.accepted + r.duplicates, 0),
      batches.reduce((n, b) => n + b.samples.length, 0),
    );
    assertRollupClose(await rollup(db, 'rs-sum'), expectedRollup(sent));

    // And the roll-up agrees with the raw table it summarises.
    const { rows } = await db.query(
      `SELECT count(*)::int AS n, sum(requests)::float8 AS requests FROM metric_samples WHERE resource_set_id = 'rs-sum'`,
    );
    const totals = (await rollup(db, 'rs-sum')).reduce(
      (t, r) => ({ n: t.n + r.samples, requests: t.requests + r.requests }),
      { n: 0, requests: 0 },
    );
    assert.deepEqual(rows[0], totals);
  });

  it('counts a sample in the minute holding the midpoint of its interval, not the minute its interval ends in', async () => {
    const m = T0 + 5 * 3600; // "12:00"; ts is each interval's end
    const samples = [
      sample(1, ms(m + 60), { intervalMs: 5_000, requests: 1 }), // 12:00:55–12:01:00: 12:00
      sample(2, ms(m + 65), { intervalMs: 5_000, requests: 2 }), // 12:01:00–12:01:05: 12:01
      sample(3, ms(m + 63), { intervalMs: 10_000, requests: 4 }), // 12:00:53–12:01:03, mostly before 12:01: 12:00
      sample(4, ms(m + 67), { intervalMs: 10_000, requests: 8 }), // 12:00:57–12:01:07, mostly after 12:01: 12:01
      sample(5, ms(m + 120), { intervalMs: 60_000, requests: 16 }), // 12:01:00–12:02:00: 12:01
    ].map((s) => ({ ...s, latencyP95Ms: 50 }));
    await ingestBatch(db, batch('rs-edge', 'edge-1', samples));
    const rows = await rollup(db, 'rs-edge');
    assert.deepEqual(
      rows.map((r) => ({
        minute: r.minute - m,
        requests: r.requests,
        samples: r.samples,
        seconds: r.instance_seconds,
      })),
      [
        { minute: 0, requests: 1 + 4, samples: 2, seconds: 15 },
        { minute: 60, requests: 2 + 8 + 16, samples: 3, seconds: 75 },
      ],
    );
    assert.deepEqual(rows, expectedRollup([{ instanceId: 'edge-1', samples }]));
    assert.deepEqual((await demandSeries(db, 'rs-edge', { from: m, to: m + 180, stepSeconds: 60 })).values, [5, 26, 0]);
    // The capacity model's per-minute load follows the same rule.
    const points = await loadLatencyPoints(db, 'rs-edge', ['edge-1'], { from: m, to: m + 180 });
    assert.deepEqual(
      points.map((p) => ({ minute: p.minute - m, load: p.load })).sort((a, b) => a.minute - b.minute),
      [
        { minute: 0, load: 5 / 15 },
        { minute: 60, load: 26 / 75 },
      ],
    );
  });

  it('migration 014 moves the stored roll-up of each kept sample from the minute of its end to that of its midpoint', async () => {
    const database = await createTestDatabase({ migrated: false });
    try {
      const all = await loadMigrations();
      await migrate(
        database.db,
        all.filter((m) => m.version < 14),
      );
      const start = T0 + 6 * 3600;
      const random = seededRandom(11);
      const sent = [
        { instanceId: 'mig-a', samples: agentSamples(random, 0, 18, start) },
        { instanceId: 'mig-b', samples: agentSamples(random, 0, 18, start + 5) },
        // 7-s intervals out of step with the minute: some straddle its edge.
        {
          instanceId: 'mig-c',
          samples: Array.from({ length: 25 }, (_, i) =>
            sample(i, ms(start + 3 + 7 * (i + 1)), {
              intervalMs: 7_000,
              requests: 1 + Math.floor(random() * 100),
              latencyP95Ms: 20 + random() * 50,
              poolUtilization: random(),
            }),
          ),
        },
      ];
      for (const { instanceId, samples } of sent) await ingestBatch(database.db, batch('rs-mig', instanceId, samples));
      // The roll-up as the ingest before 014 left it, plus a backfilled amount in one minute, and
      // one minute's row already gone (roll-ups kept for less time than raw samples).
      await database.db.query(`DELETE FROM demand_minutely`);
      const old = expectedRollup(sent, endMinute);
      const seeded = old[1]!.minute!;
      const gone = old[2]!.minute!;
      for (const row of old.filter((r) => r.minute !== gone)) {
        await database.db.query(
          `INSERT INTO demand_minutely (resource_set_id, minute, requests, errors, samples, instance_seconds, latency_p95_weighted,
             latency_p95_requests, pool_utilization_sum, pool_utilization_samples)
           VALUES ('rs-mig', to_timestamp($1), $2, $3, $4, $5, $6, $7, $8, $9)`,
          [
            row.minute,
            row.requests! + (row.minute === seeded ? 1000 : 0),
            row.errors,
            row.samples,
            row.instance_seconds,
            row.latency_p95_weighted,
            row.latency_p95_requests,
            row.pool_utilization_sum,
            row.pool_utilization_samples,
          ],
        );
      }

      assert.deepEqual(await migrate(database.db), [14]);
      // The samples whose old row was gone were no longer counted, and still are not.
      const expected = expectedRollup(
        sent.map(({ instanceId, samples }) => ({ instanceId, samples: samples.filter((s) => endMinute(s) !== gone) })),
      ).map((r) => (r.minute === seeded ? { ...r, requests: r.requests! + 1000 } : r));
      const rows = await rollup(database.db, 'rs-mig');
      // Rows whose samples all moved out are left holding nothing.
      const emptied = rows.filter((r) => r.samples === 0 && r.requests === 0);
      for (const row of emptied) {
        for (const [key, value] of Object.entries(row)) {
          if (key !== 'minute') assert.ok(Math.abs(value) <= 1e-9, `emptied minute ${row.minute} ${key}: ${value}`);
        }
      }
      assertRollupClose(
        rows.filter((r) => !emptied.includes(r)),
        expected,
      );
    } finally {
      await database.drop();
    }
  });

  it('demandSeries: aligned steps, sums per step, zeros where nothing was recorded, no partial last step', async () => {
    const base = T0 + 7200;
    await ingestBatch(
      db,
      batch('rs-series', 'series-1', [
        sample(1, ms(base + 30), { requests: 5 }), // step [base, base+300)
        sample(2, ms(base + 299), { requests: 6 }), // same step
        sample(3, ms(base + 310), { requests: 7 }), // next step: its interval is (base+300, base+310]
        sample(4, ms(base + 1250), { requests: 9 }), // step [base+1200, base+1500)
        sample(5, ms(base + 1600), { requests: 100 }), // after `to`'s step boundary: left out
      ]),
    );
    await ingestBatch(db, batch('rs-series', 'series-2', [sample(1, ms(base + 40), { requests: 1 })]));
    await ingestBatch(db, batch('rs-other', 'other-1', [sample(1, ms(base + 40), { requests: 1000 })]));

    const series = await demandSeries(db, 'rs-series', { from: base + 123, to: base + 1620, stepSeconds: 300 });
    assert.deepEqual(series, { start: base, stepSeconds: 300, values: [12, 7, 0, 0, 9] });
    const minutely = await demandSeries(db, 'rs-series', { from: base, to: base + 360, stepSeconds: 60 });
    assert.deepEqual(minutely.values, [6, 0, 0, 0, 6, 7]);
    assert.deepEqual(
      (await demandSeries(db, 'rs-none', { from: base, to: base + 600, stepSeconds: 300 })).values,
      [0, 0],
    );
    await assert.rejects(demandSeries(db, 'rs-series', { from: base, to: base + 600, stepSeconds: 90 }), RangeError);
  });

  it('latestDemand: the last value of demandRate(demandSeries(…)) over the same range, without reading the range', async () => {
    const base = T0 + 86_400;
    const minutes = [
      { minute: base + 60, requests: 0 },
      { minute: base + 120, requests: 600 },
      { minute: base + 300, requests: 120 },
    ];
    await backfillDemand(db, 'rs-latest', minutes);
    for (const [from, to, step] of [
      [base, base + 360, 60],
      [base, base + 300, 60],
      [base, base + 240, 60],
      [base, base + 130, 60],
      [base, base + 120, 60],
      [base + 180, base + 300, 60],
      [base, base + 600, 300],
    ] as const) {
      const last =
        demandRate(await demandSeries(db, 'rs-latest', { from, to, stepSeconds: step })).values.at(-1) ?? null;
      assert.equal(
        await latestDemand(db, 'rs-latest', { from, to, stepSeconds: step }),
        last,
        `[${from - base}, ${to - base}) step ${step}`,
      );
    }
    assert.equal(
      await latestDemand(db, 'rs-latest', { from: base + 180, to: base + 300, stepSeconds: 60 }),
      null,
      'nothing recorded in the range',
    );
  });

  it('DemandHistory: each call reads the new steps (and the last five again) and answers what demandSeries would', async () => {
    const base = T0 + 2 * 86_400;
    const history = new DemandHistory(db, 4);
    const read = (to: number) => history.read('rs-kept', { from: to - 3600, to, stepSeconds: 60 });
    await backfillDemand(
      db,
      'rs-kept',
      Array.from({ length: 60 }, (_, i) => ({ minute: base + i * 60, requests: i + 1 })),
    );
    assert.deepEqual(
      await read(base + 3600),
      await demandSeries(db, 'rs-kept', { from: base, to: base + 3600, stepSeconds: 60 }),
    );
    // Two minutes later, with a late sample three minutes back (re-read) and one ten minutes back (not).
    await backfillDemand(db, 'rs-kept', [
      { minute: base + 3600, requests: 500 },
      { minute: base + 3660, requests: 501 },
    ]);
    await db.query(
      `UPDATE demand_minutely SET requests = requests + 1000 WHERE resource_set_id = 'rs-kept' AND minute IN (to_timestamp($1), to_timestamp($2))`,
      [base + 3420, base + 3000],
    );
    const kept = await read(base + 3720);
    const fresh = await demandSeries(db, 'rs-kept', { from: base + 120, to: base + 3720, stepSeconds: 60 });
    assert.equal(kept.start, fresh.start);
    assert.deepEqual(kept.values.slice(-7), fresh.values.slice(-7), 'the new steps and the last five re-read');
    assert.equal(
      kept.values[(base + 3000 - kept.start) / 60],
      51,
      'a revision older than the re-read steps is not seen',
    );
    // Going back in time is read afresh.
    assert.deepEqual(
      await read(base + 3600),
      await demandSeries(db, 'rs-kept', { from: base, to: base + 3600, stepSeconds: 60 }),
    );
  });

  it('instanceStats: per-instance values in time order, NaN where unmeasured, every asked instance present', async () => {
    const base = T0 + 10_800;
    await ingestBatch(
      db,
      batch('rs-stats', 'canary', [
        sample(2, ms(base + 20), {
          requests: 0,
          latencyP95Ms: null,
          cpuPercent: 50,
          custom: { gc_ms: 3, queue_wait_ms: 1 },
        }),
        sample(1, ms(base + 10), {
          requests: 200,
          errors: 10,
          latencyP95Ms: 45,
          latencyP99Ms: 80,
          cpuPercent: 40,
          custom: { gc_ms: 2 },
        }),
        sample(3, ms(base + 30), { requests: 100, errors: 0, latencyP95Ms: 50, poolUtilization: 0.25 }),
        sample(4, ms(base + 60), { requests: 100 }), // at `to`: excluded
      ]),
    );
    await ingestBatch(
      db,
      batch('rs-stats', 'baseline', [sample(1, ms(base + 10), { requests: 10, errors: 1, latencyP95Ms: 30 })]),
    );
    await ingestBatch(db, batch('rs-elsewhere', 'canary-2', [sample(1, ms(base + 10), { requests: 1 })]));

    const stats = await instanceStats(db, 'rs-stats', ['canary', 'baseline', 'silent'], { from: base, to: base + 60 });
    assert.deepEqual(Object.keys(stats).sort(), ['baseline', 'canary', 'silent']);
    const canary = stats.canary!;
    assert.deepEqual(canary.ts, [base + 10, base + 20, base + 30]);
    assert.deepEqual(canary.errorRate, [0.05, NaN, 0]);
    assert.deepEqual(canary.latencyP95Ms, [45, NaN, 50]);
    assert.deepEqual(canary.latencyP99Ms, [80, NaN, NaN]);
    assert.deepEqual(canary.cpuPercent, [40, 50, NaN]);
    assert.deepEqual(canary.poolUtilization, [NaN, NaN, 0.25]);
    assert.deepEqual(canary.custom, { gc_ms: [2, 3, NaN], queue_wait_ms: [NaN, 1, NaN] });
    assert.deepEqual(stats.baseline!.errorRate, [0.1]);
    assert.deepEqual(stats.silent!.ts, []);
    await assert.rejects(instanceStats(db, 'rs-stats', ['canary'], { from: base, to: base + 2 * 86_400 }), RangeError);
  });

  it('fleetUtilization: per-instance request rate and pool utilisation over the latest window', async () => {
    const now = T0 + 14_400;
    await ingestBatch(
      db,
      batch('rs-fleet', 'fleet-1', [
        sample(1, ms(now - 90), { requests: 9999, poolUtilization: 1 }), // before the window
        sample(2, ms(now - 50), { requests: 100, poolUtilization: 0.2 }),
        sample(3, ms(now - 40), { requests: 300, poolUtilization: 0.4 }),
        sample(4, ms(now + 10), { requests: 9999, poolUtilization: 1 }), // after now
      ]),
    );
    await ingestBatch(db, batch('rs-fleet', 'fleet-2', [sample(1, ms(now), { requests: 50, intervalMs: 5_000 })]));
    const fleet = await fleetUtilization(db, 'rs-fleet', { windowSeconds: 60, now });
    assert.deepEqual(
      fleet.instances.map((i) => ({
        ...i,
        poolUtilization: i.poolUtilization === null ? null : Math.round(i.poolUtilization * 1e9) / 1e9,
      })),
      [
        { instanceId: 'fleet-1', requestsPerSecond: 20, poolUtilization: 0.3, samples: 2 },
        { instanceId: 'fleet-2', requestsPerSecond: 10, poolUtilization: null, samples: 1 },
      ],
    );
    assert.equal(fleet.requestsPerSecond, 30);
    assert.ok(Math.abs(fleet.meanPoolUtilization! - 0.3) < 1e-12);
    assert.deepEqual(await fleetUtilization(db, 'rs-nobody', { windowSeconds: 60, now }), {
      instances: [],
      requestsPerSecond: 0,
      meanPoolUtilization: null,
    });
  });

  it('applyRetention deletes raw samples and roll-ups past their ages, in batches, and nothing younger', async () => {
    const retention = await createTestDatabase();
    try {
      const now = T0 + 200 * 86_400;
      const day = 86_400;
      const ages = [1, 6.9, 7.1, 8, 30, 89, 91, 120]; // days
      for (const [i, age] of ages.entries()) {
        await ingestBatch(
          retention.db,
          batch('rs-old', `i-${i}`, [
            sample(1, ms(now - age * day), { requests: 1 }),
            sample(2, ms(now - age * day + 1), { requests: 1 }),
          ]),
        );
      }
      const result = await applyRetention(retention.db, { rawDays: 7, rollupDays: 90, batchSize: 3, now });
      assert.deepEqual(result, { rawDeleted: 2 * 6, rollupDeleted: 2 });
      const left = await retention.db.query(
        `SELECT (($1 - extract(epoch FROM ts)) / 86400)::float8 AS age FROM metric_samples ORDER BY ts DESC`,
        [now],
      );
      assert.deepEqual(
        left.rows.map((r) => Math.round(r.age * 10) / 10),
        [1, 1, 6.9, 6.9],
      );
      const minutes = await retention.db.query(
        `SELECT count(*)::int AS n, max(($1 - extract(epoch FROM minute)) / 86400)::float8 AS oldest FROM demand_minutely`,
        [now],
      );
      assert.equal(minutes.rows[0].n, 6);
      assert.ok(minutes.rows[0].oldest < 90);
      assert.deepEqual(
        await applyRetention(retention.db, { now }),
        { rawDeleted: 0, rollupDeleted: 0 },
        'nothing more to delete',
      );
      await assert.rejects(applyRetention(retention.db, { rawDays: 0 }), RangeError);
    } finally {
      await retention.drop();
    }
  });
});

describe('metrics store on embedded PGlite', () => {
  it('ingests idempotently and answers demandSeries through the socket server', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'prescale-pglite-metrics-'));
    const pglite = await startEmbeddedPostgres(dir, await freePort());
    const db = createPool(pglite.url, { max: 4 });
    try {
      await migrate(db);
      const b = batch('rs-lite', 'i-1', agentSamples(seededRandom(3), 0, 12, T0));
      const other = batch('rs-lite', 'i-2', agentSamples(seededRandom(4), 0, 12, T0));
      const results = await Promise.all([ingestBatch(db, b), ingestBatch(db, b), ingestBatch(db, other)]);
      assert.deepEqual(
        results.map((r) => r.accepted).sort((x, y) => x - y),
        [0, 12, 12],
      );
      assertRollupClose(await rollup(db, 'rs-lite'), expectedRollup([b, other]));
      const series = await demandSeries(db, 'rs-lite', { from: T0, to: T0 + 180, stepSeconds: 60 });
      const total = [...b.samples, ...other.samples].reduce((n, s) => n + s.requests, 0);
      assert.equal(
        series.values.reduce((x, y) => x + y, 0),
        total,
      );
      // 10-s samples ending T0+10 … T0+120: the one ending at T0+120 counts in the minute before.
      assert.deepEqual(await applyRetention(db, { now: T0 + 100 * 86_400 }), { rawDeleted: 24, rollupDeleted: 2 });
    } finally {
      await db.end();
      await pglite.child.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
