import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { backtestSvg } from '../plot/backtest-plot.js';
import { frontierSvg } from '../plot/frontier-plot.js';
import { ORACLE } from '../sim/backtest.js';
import { comparePolicies, defaultWarmupDays, POLICY_NAMES, type BacktestFigures } from '../sim/compare.js';
import { frontier, type Frontier } from '../sim/frontier.js';
import { readTraceFile } from '../load/trace-file.js';
import { UsageError, type Command } from './command.js';

const DAY = 1440;
const BAR_WIDTH = 30;

function parsePolicies(list: string): string[] {
  const names = list
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !POLICY_NAMES.includes(n));
  if (unknown.length || names.length === 0)
    throw new UsageError(`--policy: unknown ${unknown.join(', ') || '(none)'}; choose from ${POLICY_NAMES.join(', ')}`);
  return [...new Set(names)];
}

function parseNumber(option: string, text: string, ok: (n: number) => boolean, what: string): number {
  const n = Number(text);
  if (text.trim() === '' || !ok(n)) throw new UsageError(`--${option} must be ${what} (got "${text}")`);
  return n;
}

/** A bar redrawn in place on a terminal; nothing when stderr is a file or pipe. */
function progressBar(label: (fraction: number) => string): (fraction: number) => void {
  if (!process.stderr.isTTY) return () => {};
  let shown = -1;
  return (fraction) => {
    const percent = Math.floor(fraction * 100);
    if (percent === shown) return;
    shown = percent;
    const filled = Math.round(fraction * BAR_WIDTH);
    process.stderr.write(
      `\r[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${String(percent).padStart(3)}% ${label(fraction)}\x1b[K`,
    );
    if (fraction >= 1) process.stderr.write('\r\x1b[K');
  };
}

function table(figures: Record<string, BacktestFigures>): string {
  const header = ['policy', 'τU %', 'θU %', 'θO %', 'cost', 'changes/h', 'MASE'];
  const rows = Object.entries(figures).map(([name, f]) => [
    name,
    f.tauU.toFixed(2),
    f.thetaU.toFixed(2),
    f.thetaO.toFixed(1),
    f.cost.toFixed(3),
    f.changesPerHour.toFixed(2),
    f.mase === null ? '—' : f.mase.toFixed(3),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows]
    .map((cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '))
    .join('\n');
}

function frontierTable({ points }: Frontier): string {
  const rows = points.map((p) => [p.policy, p.label, p.tauU.toFixed(2), p.cost.toFixed(3)]);
  const header = ['policy', 'point', 'τU %', 'cost'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows]
    .map((cells) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '))
    .join('\n');
}

export const backtestCommand: Command = {
  name: 'backtest',
  summary: 'Replay a demand trace through the planner and baseline policies in a simulated fleet',
  usage:
    'backtest --trace FILE [--policy predictive,forecast,hpa,aws,oracle | --frontier] [--target 0.7] [--warmup-days 7] [--plot out.svg] [--json]',
  options: {
    trace: { type: 'string' },
    policy: { type: 'string', default: POLICY_NAMES.join(',') },
    target: { type: 'string', default: '0.7' },
    'warmup-days': { type: 'string' },
    plot: { type: 'string' },
    json: { type: 'boolean', default: false },
    frontier: { type: 'boolean', default: false },
  },
  async run(values) {
    const file = values.trace;
    if (typeof file !== 'string')
      throw new UsageError('--trace FILE is required (a CSV: timestamp,value or minute,requests)');
    const names = parsePolicies(String(values.policy));
    const target = parseNumber('target', String(values.target), (n) => n > 0 && n <= 1, 'a utilisation in (0, 1]');
    const series = await readTraceFile(file);
    const days = series.values.length / DAY;
    const warmupDays =
      typeof values['warmup-days'] === 'string'
        ? parseNumber(
            'warmup-days',
            values['warmup-days'],
            (n) => n >= 0 && n < days,
            `at least 0 and less than the trace's ${days.toFixed(2)} days`,
          )
        : defaultWarmupDays(series.values.length);
    if (values.frontier) {
      const result = await frontier({
        demand: series.values,
        startTime: series.start,
        target,
        warmupDays,
        onProgress: progressBar(() => `${path.basename(file)}: frontier`),
      });
      if (typeof values.plot === 'string')
        await writeFile(values.plot, frontierSvg(path.basename(file, '.csv'), result));
      if (values.json) {
        console.log(JSON.stringify(result));
        return 0;
      }
      const { today } = result;
      console.log(
        [
          `${path.basename(file)}: ${days.toFixed(1)} days, ${warmupDays.toFixed(1)} of them warm-up. τU = % of minutes short, cost = paid instance-minutes ÷ the oracle's.`,
          `hpa and aws at targets 0.5–0.9; predictive calibrates itself daily, at each objective (today: the default, no more short minutes than hpa at ${target} had, for less).`,
          '',
          frontierTable(result),
          '',
          `today: ${today.tauU.toFixed(2)} % short at ${today.cost.toFixed(3)}; the better baseline reaches ${today.envelopeTau.toFixed(2)} % at that cost.`,
          ...(typeof values.plot === 'string' ? [`plot: ${values.plot}`] : []),
        ].join('\n'),
      );
      return 0;
    }
    const running = [ORACLE, ...names.filter((n) => n !== ORACLE)];
    const { result, figures } = await comparePolicies({
      demand: series.values,
      startTime: series.start,
      policies: names,
      target,
      warmupDays,
      onProgress: progressBar(
        (f) => `${path.basename(file)}: ${running[Math.min(running.length - 1, Math.floor(f * running.length))]}`,
      ),
    });
    if (typeof values.plot === 'string') {
      const shown = { ...result, runs: result.runs.filter((r) => names.includes(r.name)) };
      await writeFile(
        values.plot,
        backtestSvg({
          trace: path.basename(file, '.csv'),
          demand: series.values,
          startTime: series.start,
          target,
          result: shown,
        }),
      );
    }
    if (values.json) {
      console.log(JSON.stringify(figures));
      return 0;
    }
    console.log(
      [
        `${path.basename(file)}: ${days.toFixed(1)} days, ${warmupDays.toFixed(1)} of them warm-up; one instance serves ${result.capacity.toPrecision(3)} (p99 ÷ 20).`,
        `hpa and aws at target utilisation ${target}; predictive chooses its operating point daily by backtest of its own history (no more short minutes than hpa at ${target}, for less); forecast provisions for the forecaster's p90.`,
        "cost = paid instance-minutes ÷ the oracle's; MASE of the forecasts of the minute an order starts serving, against last week.",
        '',
        table(figures),
        ...(typeof values.plot === 'string' ? ['', `plot: ${values.plot}`] : []),
      ].join('\n'),
    );
    return 0;
  },
};
