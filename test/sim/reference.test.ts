// Fleet model v2 against the benchmark's definition, ../shared/bench/reference_sim.py: its --json
// figures for the oracle, hpa and aws must be ours, on hand-made traces and on real ones.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { runBacktest } from '../../src/sim/backtest.js';
import { pointPolicy, reactivePoint } from '../../src/sim/operating-points.js';
import type { PolicySpec } from '../../src/sim/policy.js';
import { readTraceFile } from '../../src/load/trace-file.js';

const SHARED = fileURLToPath(new URL('../../../shared/', import.meta.url));
const TARGETS = [0.5, 0.7, 0.9];
const FIGURES = ['tauU', 'thetaU', 'thetaO', 'cost', 'changesPerHour'] as const;

async function reference(file: string): Promise<Record<string, Record<string, number>>> {
  const { stdout } = await promisify(execFile)(
    'python3',
    [`${SHARED}bench/reference_sim.py`, '--targets', TARGETS.join(','), '--json', file],
    { maxBuffer: 1 << 24 },
  );
  return (JSON.parse(stdout) as { policies: Record<string, Record<string, number>> }).policies;
}

const spec = (name: string, rule: 'reactive' | 'seasonal', target: number): PolicySpec => ({
  name,
  create: (env) => pointPolicy({ ...reactivePoint(target), rule }, env),
});

async function assertMatches(file: string): Promise<void> {
  const series = await readTraceFile(file);
  const policies = TARGETS.flatMap((t) => [spec(`hpa@${t}`, 'reactive', t), spec(`aws@${t}`, 'seasonal', t)]);
  const { runs } = runBacktest({
    demand: series.values,
    startTime: series.start,
    policies,
    target: 0.7,
    warmupDays: 7,
  });
  const theirs = await reference(file);
  assert.deepEqual(runs.map((r) => r.name).sort(), Object.keys(theirs).sort());
  for (const run of runs) {
    for (const k of FIGURES) {
      assert.ok(
        Math.abs(run.figures[k] - theirs[run.name]![k]!) < 1e-9,
        `${path.basename(file)} ${run.name} ${k}: ours ${run.figures[k]}, reference ${theirs[run.name]![k]}`,
      );
    }
  }
}

/** A trace of `days` days written as CSV, `value(i)` for sample i every `step` minutes. */
async function handMade(
  dir: string,
  name: string,
  days: number,
  step: number,
  value: (i: number) => number,
): Promise<string> {
  const rows = Array.from(
    { length: (days * 1440) / step },
    (_, i) => `${new Date(Date.UTC(2024, 0, 1) + i * step * 60_000).toISOString()},${value(i)}`,
  );
  const file = path.join(dir, `${name}.csv`);
  await writeFile(file, `timestamp,value\n${rows.join('\n')}\n`);
  return file;
}

test('equals the reference on hand-made traces: a step at a sample boundary, and 30-minute samples', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'prescale-ref-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  // A level that steps from 100 to 400 at 09:00 and back at 18:00 every day, in 1-minute samples.
  await assertMatches(await handMade(dir, 'step', 9, 1, (i) => (i % 1440 >= 540 && i % 1440 < 1080 ? 400 : 100)));
  // A daily wave with a burst every 7th sample, in 30-minute samples: held for 30 minutes each.
  await assertMatches(
    await handMade(dir, 'half-hourly', 10, 30, (i) =>
      Math.round(200 + 150 * Math.sin((2 * Math.PI * i) / 48) + (i % 7 === 0 ? 300 : 0)),
    ),
  );
});

test('equals the reference on two real traces', async () => {
  await assertMatches(`${SHARED}traces/crane-input13.csv`);
  await assertMatches(`${SHARED}traces/azure-vm2017-arrivals.csv`);
});
