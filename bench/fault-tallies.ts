// Fault tallies: the trials of test/faults/*.test.ts, run once more and counted — the worker
// SIGKILLed at seeded random points of scale-outs and of rollouts, the Temporal dev server killed
// and restarted mid-loop, Postgres stopped for 30 s — on real processes throughout.
//   npx tsx bench/fault-tallies.ts [--rounds 2] [--sets 5] [--seed N]
// Starts its own Temporal dev server; Postgres for the per-run databases at TEST_DATABASE_URL
// (default postgres://postgres@127.0.0.1:5432/test); a throwaway cluster for the outage.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Connection } from '@temporalio/client';
import { ensureSearchAttributes, startTemporalDevServer } from '../src/infra/temporal.js';
import { freePort } from '../test/support/ports.js';
import type { RolloutHarness as Harness } from '../test/rollout/support.js';
import type { Tally, TrialOutcome } from '../test/support/faults.js';
import { recordSection } from './support/results.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '2' },
    sets: { type: 'string', default: '5' },
    seed: { type: 'string' },
  },
});
const rounds = Number(values.rounds);
const sets = Number(values.sets);

const dir = await mkdtemp(path.join(os.tmpdir(), 'prescale-bench-faults-'));
const temporal = await startTemporalDevServer({
  dataDir: dir,
  port: await freePort(),
  uiPort: await freePort(),
  namespace: 'default',
  progress: console.error,
});
const connection = await Connection.connect({ address: temporal.address });
await ensureSearchAttributes(connection, 'default');
await connection.close();
// The test support reads the run's Temporal address when first imported.
process.env.TEST_TEMPORAL_ADDRESS = temporal.address;
const { RolloutHarness } = await import('../test/rollout/support.js');
const { describeOutcome, faultSeed, rolloutUnderKills, scaleOutUnderKills, tally } =
  await import('../test/support/faults.js');
const { temporalRestartTrial } = await import('../test/faults/temporal-restart-trial.js');
const { postgresOutageTrial } = await import('../test/faults/postgres-outage-trial.js');

const seed = values.seed === undefined ? faultSeed() : Number(values.seed);
const log = (line: string): void => console.error(line);
const loadBefore = os.loadavg();
interface Row {
  fault: string;
  tally: Tally;
  seconds: number;
  killPoints: string;
  note?: string;
}
const rows: Row[] = [];

/** Kill points (ms from each set's start to the SIGKILL): min / median / max. */
function killPoints(outcomes: TrialOutcome[]): string {
  const ms = outcomes
    .map((o) => o.killAfterMs)
    .filter((v): v is number => v !== null)
    .sort((a, b) => a - b);
  return ms.length ? `${ms[0]} / ${ms[Math.floor(ms.length / 2)]} / ${ms.at(-1)}` : '—';
}

async function measure(
  fault: string,
  run: () => Promise<TrialOutcome[]>,
  note?: (outcomes: TrialOutcome[]) => string,
): Promise<void> {
  log(`— ${fault}`);
  const started = Date.now();
  const outcomes = await run();
  for (const o of outcomes) log(describeOutcome(o));
  rows.push({
    fault,
    tally: tally(outcomes),
    seconds: Math.round((Date.now() - started) / 1000),
    killPoints: killPoints(outcomes),
    ...(note ? { note: note(outcomes) } : {}),
  });
}

let samplesNote = '';
try {
  const h: Harness = await RolloutHarness.start();
  try {
    await measure(`worker SIGKILL during scale-out (new sets 0 → 2 instances; ${rounds} kills × ${sets} sets)`, () =>
      scaleOutUnderKills(h, { rounds, sets, seed, log }),
    );
    await measure(
      `worker SIGKILL during rollout (2 instances, new image: 2 surge-first replacements; ${rounds} kills × ${sets} sets)`,
      () => rolloutUnderKills(h, { rounds, sets, seed: seed + 1, log }),
    );
  } finally {
    await h.close();
  }
  await measure('Temporal dev server SIGKILL mid-loop, down 5 s, restarted on its database (per loop)', () =>
    temporalRestartTrial({ loops: 2, downSeconds: 5, log }),
  );
  await measure('Postgres stopped 30 s (API, loop and 2 agents running)', async () => {
    const report = await postgresOutageTrial({ outageSeconds: 30, log });
    const { during, samples } = report;
    samplesNote =
      `During the outage /readyz answered ${during.readyz.status} (postgres ok: ${during.readyz.postgresOk}), ` +
      `GET /v1/resource-sets ${during.list.status} ${during.list.code}; the loop's ${during.retried?.activity ?? '—'} (a local activity) succeeded ` +
      `at attempt ${during.retried?.attempt ?? 0}; the agents buffered ${during.buffered.join(' and ')} samples. ` +
      `Afterwards /readyz ${report.after.readyz}; samples stored per agent (seq 0..max, distinct / rows): ` +
      `${samples.map((s) => `${s.max + 1} made up to seq ${s.max}, ${s.distinct} / ${s.rows}`).join('; ')}.`;
    return [report.outcome];
  });
} finally {
  await temporal.child.stop();
  await rm(dir, { recursive: true, force: true });
}

const loadAfter = os.loadavg();
const fmt = (l: number[]): string => l.map((v) => v.toFixed(2)).join(' / ');
const cpu = os.cpus();
await recordSection(
  'Fault tallies (issue 7)',
  [
    `Machine: ${cpu.length} × ${cpu[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GB, Node ${process.version}; shared with other engineers — load average (1 / 5 / 15 min) ${fmt(loadBefore)} at start, ${fmt(loadAfter)} at the end.`,
    `Command: \`npx tsx bench/fault-tallies.ts --rounds ${rounds} --sets ${sets} --seed ${seed}\` (replays these kill points; the rollout trials use seed + 1). Instances boot in 1 s; loops tick every 5 s.`,
    '',
    "| fault | trials | completed | leaked | duplicated | lost | kill point, ms after the set's start (min / median / max) | wall time |",
    '|---|---:|---:|---:|---:|---:|---|---:|',
    ...rows.map(
      (r) =>
        `| ${r.fault} | ${r.tally.trials} | ${r.tally.completed} | ${r.tally.leaked} | ${r.tally.duplicated} | ${r.tally.lost} | ${r.killPoints} | ${r.seconds} s |`,
    ),
    '',
    "A trial is one set (one loop) hit by the fault. Judged from the local cloud's own records (every instance it ever launched, terminated ones included) against the workflow's state query and the decisions table:",
    "*completed*: the set reached its size (scale-out), its rollout was promoted with every instance on the new image and configuration revision (rollout), the loop kept recording decisions (restarts, outage), and the workflow's state agrees with the cloud;",
    '*duplicated*: instances launched beyond what the change needed (for the outage, also metric samples stored twice); *leaked*: live instances no decision or rollout step accounts for;',
    '*lost*: loop iterations without a decision, instances not on the intended release, or metric samples made but not stored.',
    "One SIGKILL per round hits that round's sets, each started at a seeded random offset, so each is killed at its own point, after its start was acknowledged.",
    "A round's wall time is set by the timeouts of what the SIGKILL cut off, not by the trials: a provision lost with its worker is retried after its 45 s heartbeat timeout, a replacement after 30 s, a rollout read after its 1 min start-to-close timeout.",
    '',
    samplesNote,
  ].join('\n'),
);
log('recorded in bench/RESULTS.md');
process.exit(0);
