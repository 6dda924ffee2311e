import type { Forecast, Series } from '../../forecast/types.js';
import type { DecisionPoint } from '../../store/decisions.js';

/** Demand, forecast and capacity on one time grid, in requests per second; null where unknown. */
export interface Timeline {
  stepSeconds: number;
  /** Epoch seconds of each step's start: history, then the latest forecast's horizon. */
  t: number[];
  /** Measured demand. */
  demand: (number | null)[];
  /** What the ready instances serve within the SLO (the loop's estimate per instance), as of the end of the step. */
  capacity: (number | null)[];
  /** The same for the desired instance count. */
  plannedCapacity: (number | null)[];
  /** For each step, the freshest forecast made before it began (so past steps show how good it was). */
  forecast: Record<'p50' | 'p90' | 'p99', (number | null)[]>;
  /** The model of the latest forecast. */
  model: string | null;
}

export interface TimelineInput {
  /** Epoch seconds; the grid starts at the step holding it. */
  from: number;
  /** Epoch seconds; measured demand ends at the last full step before it. */
  now: number;
  /** Requests per second per step (the grid's step), starting at the first recorded demand. */
  demand: Series;
  /** Oldest first. */
  decisions: readonly DecisionPoint[];
}

const valueAt = (
  series: { start: number; stepSeconds: number },
  values: readonly number[],
  t: number,
): number | null => {
  const i = Math.floor((t - series.start) / series.stepSeconds);
  return i >= 0 && i < values.length ? values[i]! : null;
};

const forecastEnd = (f: Forecast): number => f.start + f.point.length * f.stepSeconds;

/**
 * Puts measured demand, the capacity the loop kept and the forecasts it made on the demand
 * series' grid, extended to the end of the latest forecast's horizon.
 */
export function timeline({ from, now, demand, decisions }: TimelineInput): Timeline {
  const step = demand.stepSeconds;
  const start = Math.floor(from / step) * step;
  const latest = decisions.reduce<Forecast | null>((f, d) => d.forecast ?? f, null);
  const end = Math.max(Math.floor(now / step) * step, latest ? Math.ceil(forecastEnd(latest) / step) * step : 0);
  const out: Timeline = {
    stepSeconds: step,
    t: [],
    demand: [],
    capacity: [],
    plannedCapacity: [],
    forecast: { p50: [], p90: [], p99: [] },
    model: latest?.model ?? null,
  };
  // Two cursors over the decisions: the last one made by the step's end (capacity), and the last
  // forecast made by the step's start (forecast).
  let inEffect = -1;
  let forecaster: Forecast | null = null;
  let scanned = 0;
  for (let t = start; t < end; t += step) {
    while (inEffect + 1 < decisions.length && decisions[inEffect + 1]!.at < t + step) inEffect++;
    for (; scanned < decisions.length && decisions[scanned]!.at <= t; scanned++)
      forecaster = decisions[scanned]!.forecast ?? forecaster;
    const decision = t < now ? decisions[inEffect] : undefined;
    out.t.push(t);
    out.demand.push(valueAt(demand, demand.values, t));
    out.capacity.push(decision ? decision.readyInstances * decision.capacityPerInstance : null);
    out.plannedCapacity.push(decision ? decision.desiredInstances * decision.capacityPerInstance : null);
    for (const q of ['p50', 'p90', 'p99'] as const)
      out.forecast[q].push(forecaster ? valueAt(forecaster, forecaster.quantiles[q], t) : null);
  }
  return out;
}
