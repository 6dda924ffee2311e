// Scaling quality of the predictive policy and the baselines on the real traces, in the backtest
// fleet model. Prints one table and records it in bench/RESULTS.md. Run: npx tsx bench/scaling-quality.ts
// With --search, backtests the predictive configurations of SEARCH instead (about 3 minutes each
// on a quiet 2-core machine) and records how each fares against the issue's targets.
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { runBacktest, type PolicyRun } from '../src/sim/backtest.js';
import { aws } from '../src/sim/policies/aws.js';
import { hpa } from '../src/sim/policies/hpa.js';
import { predictive, PREDICTIVE_DEFAULTS, type PredictiveConfig } from '../src/sim/policies/predictive.js';
import type { PolicySpec } from '../src/sim/policy.js';
import { readTraceFile } from '../src/sim/trace-file.js';
import { recordSection } from './support/results.js';

const TARGET = 0.7;
const WARMUP_DAYS = 7;
const TRACES_DIR = fileURLToPath(new URL('../../shared/traces/', import.meta.url));
/** The issue's bar for the predictive policy's mean cost over the traces, × the oracle's. */
const MEAN_COST_BAR = 1.15;

/**
 * The issue's reference figures (τU %, cost) at target 0.7, matched when within 0.05 pp and 0.01.
 * Their costs divide by Σ max(r[t..t+4]), one minute short of the oracle's window (which is short
 * of instances when simulated); NASA's do not follow from this model under any reading found.
 */
const REFERENCE: Record<string, Record<string, [number, number]>> = {
  'nab-nyc-taxi': { hpa: [0.0, 1.38], aws: [0.0, 1.52] },
  'crane-input9': { hpa: [0.35, 1.36], aws: [0.31, 1.4] },
  'crane-input13': { hpa: [0.27, 1.37], aws: [0.25, 1.47] },
  'nasa-http-1995': { hpa: [9.65, 1.27], aws: [4.44, 1.42] },
  'nab-twitter-amzn': { hpa: [3.26, 1.34], aws: [1.15, 1.49] },
};

interface Row {
  trace: string;
  run: PolicyRun;
}

/** Predictive configurations --search compares; the default is one of them. */
const SEARCH: Partial<PredictiveConfig>[] = [
  { quantile: 'p95', trustedUtilization: 1 },
  { quantile: 'p95', trustedUtilization: 1, scaleInStabilizationSeconds: 120 },
  { quantile: 'p95', trustedUtilization: 1, scaleInStabilizationSeconds: 300 },
  { quantile: 'p90', trustedUtilization: 0.97 },
  { quantile: 'p90', trustedUtilization: 0.95 },
  { quantile: 'p90', trustedUtilization: 0.95, scaleInStabilizationSeconds: 120 },
  { quantile: 'p90', trustedUtilization: 0.93 },
  { quantile: 'p90', trustedUtilization: 0.92 },
  { quantile: 'p90', trustedUtilization: 0.9 },
];

function reference(trace: string, { name, figures }: PolicyRun): string {
  const ref = REFERENCE[trace]?.[name];
  if (!ref) return '';
  const [tauU, cost] = ref;
  const matched = Math.abs(figures.tauU - tauU) <= 0.05 + 1e-9 && Math.abs(figures.cost - cost) <= 0.01 + 1e-9;
  return `${tauU.toFixed(2)} / ${cost.toFixed(2)} ${matched ? '✓' : '✗'}`;
}

function table(rows: Row[]): string {
  const header = ['trace', 'policy', 'τU %', 'θU %', 'θO %', 'cost', 'instance-h', 'changes/h', 'MASE', 'reference τU % / cost'];
  const lines = rows.map(({ trace, run }) => {
    const f = run.figures;
    return [trace, run.name, f.tauU.toFixed(2), f.thetaU.toFixed(2), f.thetaO.toFixed(1), f.cost.toFixed(3),
      f.instanceHours.toFixed(0), f.changesPerHour.toFixed(2), f.mase === null ? '—' : f.mase.toFixed(3), reference(trace, run)];
  });
  return [header, header.map(() => '---'), ...lines].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

/**
 * Predictive against one baseline on one trace: τU no higher and cost lower. Both runs score the
 * same minutes, so τU compares exactly as counts of short minutes, and cost as paid
 * instance-minutes over the same oracle.
 */
function beats(predicted: Row, baseline: Row): boolean {
  return predicted.run.figures.shortMinutes <= baseline.run.figures.shortMinutes && predicted.run.figures.cost < baseline.run.figures.cost;
}

/** The same, with the margins: τU in percentage points and minutes short, cost in oracles. */
function versus(predicted: Row, baseline: Row): string {
  const dTau = predicted.run.figures.tauU - baseline.run.figures.tauU;
  const dMinutes = predicted.run.figures.shortMinutes - baseline.run.figures.shortMinutes;
  const dCost = predicted.run.figures.cost - baseline.run.figures.cost;
  const sign = (x: number, digits: number): string => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(digits)}`;
  return `${beats(predicted, baseline) ? '✓' : '✗'} τU ${sign(dTau, 3)} pp (${sign(dMinutes, 0)} min), cost ${sign(dCost, 3)}`;
}

const find = (rows: Row[], trace: string, name: string): Row => rows.find((r) => r.trace === trace && r.run.name === name)!;
const meanCost = (rows: Row[], traces: string[]): number => traces.reduce((sum, trace) => sum + find(rows, trace, 'predictive').run.figures.cost, 0) / traces.length;

function targets(rows: Row[], traces: string[]): string {
  const lines = traces.map((trace) => [trace, versus(find(rows, trace, 'predictive'), find(rows, trace, 'hpa')), versus(find(rows, trace, 'predictive'), find(rows, trace, 'aws'))]);
  const header = ['trace', 'predictive vs hpa (τU ≤, cost <)', 'predictive vs aws (τU ≤, cost <)'];
  const mean = meanCost(rows, traces);
  return `${[header, header.map(() => '---'), ...lines].map((cells) => `| ${cells.join(' | ')} |`).join('\n')}

Mean cost of predictive over the ${traces.length} traces: ${mean.toFixed(3)} × the oracle's (bar ${MEAN_COST_BAR}) ${mean <= MEAN_COST_BAR ? '✓' : '✗'}.`;
}

function progress(trace: string, fraction: number): void {
  if (process.stderr.isTTY) process.stderr.write(`\r${trace.padEnd(18)} ${(fraction * 100).toFixed(0).padStart(3)}%`);
}

const traces = Object.keys(REFERENCE);
const started = performance.now();

async function backtestAll(policies: PolicySpec[]): Promise<Row[]> {
  const rows: Row[] = [];
  for (const trace of traces) {
    const series = await readTraceFile(`${TRACES_DIR}${trace}.csv`);
    const result = runBacktest({
      demand: series.values, startTime: series.start, policies, target: TARGET, warmupDays: WARMUP_DAYS,
      onProgress: (f) => progress(trace, f),
    });
    rows.push(...result.runs.map((run) => ({ trace, run })));
  }
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
  return rows;
}

const describe = (c: Partial<PredictiveConfig>): string =>
  `${c.quantile} at ${c.trustedUtilization}${c.scaleInStabilizationSeconds ? `, scale-in after ${c.scaleInStabilizationSeconds} s` : ''}`;

async function search(): Promise<void> {
  const baselines = await backtestAll([hpa, aws]);
  const lines: string[][] = [];
  for (const config of SEARCH) {
    const rows = [...baselines, ...(await backtestAll([await predictive({ ...PREDICTIVE_DEFAULTS, ...config })])).filter((r) => r.run.name === 'predictive')];
    const met = traces.reduce((n, trace) => n + Number(beats(find(rows, trace, 'predictive'), find(rows, trace, 'hpa'))) + Number(beats(find(rows, trace, 'predictive'), find(rows, trace, 'aws'))), 0);
    const isDefault = config.quantile === PREDICTIVE_DEFAULTS.quantile && config.trustedUtilization === PREDICTIVE_DEFAULTS.trustedUtilization
      && (config.scaleInStabilizationSeconds ?? 0) === PREDICTIVE_DEFAULTS.scaleInStabilizationSeconds;
    lines.push([`${describe(config)}${isDefault ? ' (default)' : ''}`,
      ...traces.map((trace) => { const f = find(rows, trace, 'predictive').run.figures; return `${f.tauU.toFixed(2)} / ${f.cost.toFixed(3)}`; }),
      meanCost(rows, traces).toFixed(3), `${met} of ${2 * traces.length}`]);
    console.log(lines.at(-1)!.join(' | '));
  }
  const header = ['predictive: quantile at utilisation', ...traces.map((t) => `${t} τU % / cost`), 'mean cost', 'vs hpa and aws met'];
  const searchTable = [header, header.map(() => '---'), ...lines].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
  await recordSection('Predictive configuration search', `
Command: \`npx tsx bench/scaling-quality.ts --search\` — ${new Date().toISOString().slice(0, 10)}, ${os.cpus()[0]?.model.trim() ?? 'unknown CPU'} × ${os.cpus().length} cores, Node ${process.version}; ${((performance.now() - started) / 60_000).toFixed(0)} minutes.

The predictive policy of "Scaling quality on real traces" with other planner settings, everything
else alike (fleet model, warm-up, forecasting). "met" counts the traces × baselines (hpa, aws at
0.7) where predictive has τU no higher and cost lower. Lower utilisation and higher quantiles buy
fewer shortage minutes with cost; scale-in stabilisation buys fewer per unit of cost. The bars
pull apart: NASA's cost bar (hpa's 1.122) wants a hot fleet, NYC taxi's τU of 0 and Twitter's
3.26 % a cooler one, and the crane traces' τU bars (0.25–0.35 %) are set by spikes of 3× that last
3–4 minutes and come without warning, which hpa's 43% headroom half-covers.

${searchTable}
`);
}

async function compare(): Promise<void> {
  const rows = await backtestAll([await predictive(), hpa, aws]);
  const minutes = rows.filter((r) => r.run.name === 'oracle').reduce((n, r) => n + r.run.supply.length, 0);
  const cpus = os.cpus();
  const machine = `${cpus[0]?.model.trim() ?? 'unknown CPU'} × ${cpus.length} cores, Node ${process.version}, ${os.platform()}`;
  const timing = `${traces.length} traces, ${minutes.toLocaleString('en')} minutes × 4 policies simulated in ${((performance.now() - started) / 1000).toFixed(0)} s (load average ${os.loadavg()[0]!.toFixed(1)})`;
  const body = table(rows);
  const verdict = targets(rows, traces);
  console.log(`${body}\n\n${verdict}\n\n${timing} (${machine})`);

  const { quantile, trustedUtilization, scaleInStabilizationSeconds, seasonMinutes, models, settings } = PREDICTIVE_DEFAULTS;
  const { burstMargin, burstSteps } = settings(1);
  const burstMinutes = burstSteps;
  await recordSection('Scaling quality on real traces', `
Command: \`npx tsx bench/scaling-quality.ts\` — ${new Date().toISOString().slice(0, 10)}, ${machine}.
${timing}.

Fleet model (src/sim): each trace linearly interpolated to 1-minute steps; capacity per instance
c = p99(demand) / 20; required r = max(1, ceil(d / c)); an instance ordered at minute t serves from
t + 5 and is paid from t; scale-in at once, newest orders cancelled first; at least 1 instance; one
decision a minute; the first ${WARMUP_DAYS} days are warm-up, not scored; target utilisation ${TARGET}.
Policies: \`oracle\` keeps max(r[t..t+5]) paid (the least cost without shortage); \`hpa\` is the
Kubernetes HPA on the ready instances' utilisation (tolerance 0.1, 5-minute scale-down
stabilisation, in-flight orders not counted as current); \`aws\` schedules the capacity for each
hour's 7-day same-hour mean 5 minutes ahead and follows max(schedule, hpa); \`predictive\` is the
control loop's planner (src/planner/plan.ts, with the real current count: ready plus ordered) fed
each minute by the forecast activity's DemandForecaster — one configuration for every trace:
${models.join(', ')} compared daily by rolling-origin backtest over the last day, the chosen model
refitted hourly on 14 days, a nowcast every minute, quantiles from its own errors of the last 3 days,
the upper quantiles (p90–p99) raised by the last minute's rise while extrapolating it has forecast
the horizon's last minute better than not (smoothed over ~1,000 minutes; src/forecast/ramp.ts) and
held for ${burstMinutes} minutes at the level of a burst, an observation above ${burstMargin} × the p99 forecast for it
(src/forecast/burst.ts); season ${seasonMinutes ?? 'detected'} minutes; the planner provisions for the forecast's ${quantile} at its peak over the lead
time plus a minute, at utilisation ${trustedUtilization} while model selection trusts the forecast, and
falls back to the reactive rule at the target (${TARGET}) when it does not; scale-in stabilisation
${scaleInStabilizationSeconds} s, at most 10 instances removed a minute.
Figures over the scored minutes: τU = % of minutes with supply < required; θU, θO = mean relative
shortage / excess (SPEC RG); cost = paid instance-minutes ÷ the oracle's; changes/h = minutes in
which the supply changed, per hour; MASE = the policy's forecasts (aws: each hour's; predictive: of
the minute an order made now starts serving) against the 1-week seasonal naive over the same steps.
Reference = the issue's figures, ✓ within 0.05 pp and 0.01. Their costs divide by Σ max(r[t..t+4]),
one minute short of the oracle's window: with that divisor the Twitter costs match as well. NASA's
τU does not follow from this model under any reading found.

${body}

The issue's targets for predictive, at target 0.7 (τU compared exactly, as counts of short minutes):

${verdict}

What was tried against the issue's bars, and what stands in the way: the section "Scaling quality: the issue's bars" below.
`);
}

await (process.argv.includes('--search') ? search() : compare());
