// Neural forecaster: training time per TensorFlow.js backend on 14 days of 1-minute demand, and
// accuracy against seasonal naive on the held-out last day, the way the training workflow does it.
// Run: npx tsx bench/neural-training.ts [--backends wasm,cpu] [--traces nasa-http-1995,...]
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { useTfBackend, type TfBackend } from '../src/engines/tfjs-backend.js';
import { backtest, heldOutSteps, tailOrigins, type BacktestScores } from '../src/forecast/neural-backtest.js';
import { DEFAULT_NEURAL_OPTIONS, trainNeural } from '../src/forecast/neural.js';
import { seasonalNaive } from '../src/forecast/seasonal-naive.js';
import type { Series } from '../src/forecast/types.js';
import { readTraceFile } from '../src/load/trace-file.js';
import { recordSection } from './support/results.js';

const TRACES_DIR = fileURLToPath(new URL('../../shared/traces/', import.meta.url));
const ALL_TRACES = ['nasa-http-1995', 'nab-nyc-taxi', 'crane-input9', 'crane-input13', 'nab-twitter-amzn'];
const DAYS = 14;
const SEASON = 1440;
const HORIZON = 15;

const { values: args } = parseArgs({
  options: {
    backends: { type: 'string', default: 'tensorflow,wasm,cpu' },
    traces: { type: 'string', default: ALL_TRACES.join(',') },
  },
});
const backends = args.backends.split(',') as TfBackend[];
const traces = args.traces.split(',');

/** The trace's first 14 days on 1-minute steps, per second, as the control loop sees demand. */
async function fourteenDays(name: string): Promise<Series> {
  const trace = await readTraceFile(`${TRACES_DIR}${name}.csv`);
  if (trace.values.length < DAYS * SEASON) throw new Error(`${name} is shorter than ${DAYS} days`);
  return { start: trace.start * 60, stepSeconds: 60, values: trace.values.slice(0, DAYS * SEASON).map((v) => v / 60) };
}

interface Row {
  trace: string;
  backend: TfBackend;
  seconds: number;
  epochs: number;
  neural: BacktestScores;
  naive: BacktestScores;
}

const rows: Row[] = [];
const unavailable: string[] = [];
for (const backend of backends) {
  try {
    await useTfBackend(backend);
  } catch {
    unavailable.push(backend);
    continue;
  }
  for (const trace of traces) {
    const series = await fourteenDays(trace);
    const n = series.values.length;
    const tail = heldOutSteps(n, SEASON);
    const origins = tailOrigins(n, tail, HORIZON);
    let epochs = 0;
    const started = performance.now();
    const model = await trainNeural(
      { ...series, values: series.values.slice(0, n - tail) },
      {
        seasonSteps: SEASON,
        horizonSteps: HORIZON,
        onEpoch: ({ epoch }) => {
          epochs = epoch;
        },
      },
    );
    const seconds = (performance.now() - started) / 1000;
    const neural = backtest(series, origins, HORIZON, SEASON, (h, k) => model.predict(h, k));
    const naive = backtest(series, origins, HORIZON, SEASON, (h, k) => seasonalNaive(h, k, SEASON));
    model.dispose();
    rows.push({ trace, backend, seconds, epochs, neural, naive });
    console.error(
      `${backend} ${trace}: ${seconds.toFixed(1)} s, ${epochs} epochs, scaled pinball ${neural.scaledPinball.toFixed(3)} vs naive ${naive.scaledPinball.toFixed(3)}`,
    );
  }
}

const f = (x: number, digits = 3): string => x.toFixed(digits);
const table = [
  '| trace | backend | train s | epochs | s/epoch | MASE neural | MASE naive | scaled pinball neural | naive | p50 / p90 / p99 coverage |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ...rows.map(
    (r) =>
      `| ${r.trace} | ${r.backend} | ${f(r.seconds, 1)} | ${r.epochs} | ${f(r.seconds / r.epochs, 2)} | ${f(r.neural.mase)} | ${f(r.naive.mase)} | ` +
      `${f(r.neural.scaledPinball)} | ${f(r.naive.scaledPinball)} | ${f(r.neural.coverage.p50, 2)} / ${f(r.neural.coverage.p90, 2)} / ${f(r.neural.coverage.p99, 2)} |`,
  ),
].join('\n');
const perBackend = [...new Set(rows.map((r) => r.backend))].map((b) => {
  const mine = rows.filter((r) => r.backend === b);
  const perEpoch = mine.reduce((s, r) => s + r.seconds / r.epochs, 0) / mine.length;
  return `${b} ${f(perEpoch, 2)} s/epoch`;
});
const { hiddenUnits, maxWindows, epochs, patience } = DEFAULT_NEURAL_OPTIONS;
const body = `Command: \`npx tsx bench/neural-training.ts\` — ${new Date().toISOString().slice(0, 10)}, ${os.cpus()[0]?.model ?? 'unknown CPU'} × ${os.cpus().length} cores, Node ${process.version}, ${os.platform()}; load average ${os.loadavg()[0]!.toFixed(1)} at the end (a shared machine: times are upper bounds).

Each trace's first ${DAYS} days on 1-minute steps; the last day is held out, the model trains on the
${DAYS - 1} days before it (daily season of ${SEASON} steps, horizon ${HORIZON} steps), as the training workflow
does. Defaults: MLP ${hiddenUnits.join('×')}, at most ${maxWindows} training windows per epoch, at most ${epochs} epochs with early
stopping (patience ${patience}), seed 42. Backtest: ${tailOrigins(DAYS * SEASON, SEASON, HORIZON).length} origins over the held-out day, each forecasting ${HORIZON} steps;
MASE and scaled pinball (mean over p50/p90/p95/p99) divide by the in-sample daily seasonal naive MAE; the
neural model is promoted only when its scaled pinball beats seasonal naive's (and the promoted model's).
Backends round differently, so the same seed can stop at another epoch and give another model on another backend.
${unavailable.length ? `Not available here: ${unavailable.join(', ')} (tfjs-node is an optional dependency, not installed).` : ''}

${table}

Mean time per epoch: ${perBackend.join(', ')}.`;
await recordSection('Neural forecaster training (TensorFlow.js backends)', body);
console.log(body);
