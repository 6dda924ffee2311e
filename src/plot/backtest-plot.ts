import type { BacktestResult } from '../sim/backtest.js';
import { renderChart, type Line } from './line-chart.js';

const COLORS: Record<string, string> = { predictive: '#1f6fd1', hpa: '#e8710a', aws: '#1e9e4a', oracle: '#8a8a8a' };
const SPARE_COLORS = ['#9334e6', '#d01884', '#12a4af', '#b06000'];
const DAY = 1440;

export interface BacktestPlotInput {
  trace: string;
  /** Demand per minute and the epoch minute of its first value. */
  demand: readonly number[];
  startTime: number;
  target: number;
  result: BacktestResult;
}

/**
 * Demand, required instances and each policy's serving instances, in instances (demand ÷ the
 * capacity of one): the whole scored span on top, the day around the highest requirement below,
 * where late scale-ups show.
 */
export function backtestSvg({ trace, demand, startTime, target, result }: BacktestPlotInput): string {
  const { capacity, required, warmupMinutes, runs } = result;
  let spare = 0;
  const lines: Line[] = [
    { name: 'demand ÷ capacity', color: '#9aa0a6', values: demand.map((d) => d / capacity), area: true },
    { name: 'required', color: '#202124', values: required, width: 1.2 },
    ...runs.map((run) => ({
      name: `${run.name} (τU ${run.figures.tauU.toFixed(2)}%, cost ${run.figures.cost.toFixed(2)})`,
      color: COLORS[run.name] ?? SPARE_COLORS[spare++ % SPARE_COLORS.length]!,
      values: run.supply,
      width: 1.6,
      ...(run.name === 'oracle' ? { dash: '5 3' } : {}),
    })),
  ];
  let peak = warmupMinutes;
  for (let t = warmupMinutes; t < required.length; t++) if (required[t]! > required[peak]!) peak = t;
  const zoomFrom = Math.max(warmupMinutes, Math.min(peak - DAY / 2, required.length - DAY));
  const zoomTo = Math.min(required.length, zoomFrom + DAY);
  const days = (required.length - warmupMinutes) / DAY;
  return renderChart({
    title: `Backtest of ${trace}: instances serving vs required`,
    subtitle:
      `one instance serves ${capacity.toPrecision(3)} demand units (p99 ÷ 20); baselines at target utilisation ${target}; ` +
      `${(warmupMinutes / DAY).toFixed(1)} warm-up days not shown or scored; serving = ordered 5 minutes earlier`,
    panels: [
      {
        title: `All ${days.toFixed(1)} scored days`,
        yLabel: 'instances',
        start: startTime,
        from: warmupMinutes,
        to: required.length,
        lines,
      },
      {
        title: 'The day around the highest requirement',
        yLabel: 'instances',
        start: startTime,
        from: zoomFrom,
        to: zoomTo,
        lines,
      },
    ],
  });
}
