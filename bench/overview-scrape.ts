// What one /metrics scrape (or GET /v1/overview) costs now that it reads the store: N sets, each
// with `--decisions` recorded decisions, a loop status and every tenth with a rollout.
//   npx tsx bench/overview-scrape.ts [--sets 3000] [--decisions 60] [--runs 5]
import os from 'node:os';
import { parseArgs } from 'node:util';
import { readResourceSets } from '../src/api/resource-set-readings.js';
import { createTestDatabase } from '../test/support/db.js';

const { values } = parseArgs({
  options: {
    sets: { type: 'string', default: '3000' },
    decisions: { type: 'string', default: '60' },
    runs: { type: 'string', default: '5' },
  },
});
const sets = Number(values.sets);
const perSet = Number(values.decisions);
const database = await createTestDatabase();
const db = database.db;
try {
  const now = Math.floor(Date.now() / 60_000) * 60;
  await db.query(
    `INSERT INTO resource_sets (id, spec, workflow_id, created_at)
    SELECT 'set-' || k, jsonb_build_object('id', 'set-' || k, 'policy', jsonb_build_object('intervalSeconds', 60)), 'resource-set-set-' || k, to_timestamp($2::float8)
      FROM generate_series(0, $1::int - 1) k`,
    [sets, now - perSet * 60 - 60],
  );
  await db.query(
    `INSERT INTO decisions (resource_set_id, loop_id, iteration, decided_at, mode, paused, current_instances, ready_instances,
      desired_instances, rule, reasons, inputs, forecast, actions)
    SELECT 'set-' || k, 'loop-' || k, i, to_timestamp($3::float8 - (60 * ($2::int - i))), 'forecast-and-scale', false, 3, 3, 3, 'predictive',
      '["predictive: 3 for the p95 peak over the lead time"]', '{"model": "mstl-ets", "predictive": 3}',
      jsonb_build_object('point', (SELECT jsonb_agg(100.123456789) FROM generate_series(1, 8))), '[]'
      FROM generate_series(0, $1::int - 1) k, generate_series(1, $2::int) i`,
    [sets, perSet, now],
  );
  await db.query(
    `INSERT INTO loop_status (resource_set_id, loop_id, iteration, state, conditions)
    SELECT 'set-' || k, 'loop-' || k, $2::int, 'running', '[{"type":"Observing","status":"True","reason":"Observed","message":"3 instance(s)","since":"2026-12-07T10:00:00.000Z"}]'
      FROM generate_series(0, $1::int - 1) k`,
    [sets, perSet],
  );
  await db.query(
    `INSERT INTO rollouts (id, resource_set_id, kind, status, seq, progress, started_at)
    SELECT 'rollout-' || k, 'set-' || k, 'rollout', 'promoted', 1, '{"id":"x","status":"promoted","events":[]}', now()
      FROM generate_series(0, $1::int - 1, 10) k`,
    [sets],
  );
  await db.query('ANALYZE');
  const times: number[] = [];
  let shown = 0;
  for (let r = 0; r < Number(values.runs); r++) {
    const t = process.hrtime.bigint();
    shown = (await readResourceSets(db)).length;
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  times.sort((a, b) => a - b);
  console.log(
    `${sets} sets × ${perSet} decisions: ${shown} read; scrape ${times.map((t) => t.toFixed(0)).join(', ')} ms (median ${times[Math.floor(times.length / 2)]!.toFixed(0)} ms); load ${os.loadavg()[0]!.toFixed(2)}`,
  );
} finally {
  await database.drop();
}
