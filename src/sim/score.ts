import type { StepForecasts } from './policy.js';

const WEEK_MINUTES = 7 * 24 * 60;

/**
 * SPEC RG's elasticity figures (Herbst et al., "Ready for Rain?", TOMPECS 2018) over minutes
 * from..end, supply against required (r ≥ 1), all in %, plus how often the supply moves.
 */
export interface Elasticity {
  /** Minutes with supply < required: the count behind τU, for exact comparisons. */
  shortMinutes: number;
  /** Time share under-provisioned: % of minutes with supply < required. */
  tauU: number;
  /** Under-provisioning accuracy: mean of max(r − s, 0) / r, in %. */
  thetaU: number;
  /** Over-provisioning accuracy: mean of max(s − r, 0) / r, in %. */
  thetaO: number;
  /** Minutes in which the supply changed, per hour. */
  changesPerHour: number;
}

export function elasticity(supply: Int32Array, required: Int32Array, from: number): Elasticity {
  const minutes = supply.length - from;
  if (minutes <= 0) throw new RangeError('nothing to score after the warm-up');
  let short = 0;
  let under = 0;
  let over = 0;
  let changes = 0;
  for (let t = from; t < supply.length; t++) {
    const s = supply[t]!;
    const r = required[t]!;
    if (s < r) {
      short++;
      under += (r - s) / r;
    } else over += (s - r) / r;
    if (t > from && s !== supply[t - 1]) changes++;
  }
  return {
    shortMinutes: short,
    tauU: (100 * short) / minutes,
    thetaU: (100 * under) / minutes,
    thetaO: (100 * over) / minutes,
    changesPerHour: changes / (minutes / 60),
  };
}

/** Instance-minutes paid from minute `from` on. */
export function paidMinutes(paid: Int32Array, from: number): number {
  let sum = 0;
  for (let t = from; t < paid.length; t++) sum += paid[t]!;
  return sum;
}

/**
 * MASE of step forecasts against the 1-week seasonal naive over the same scored steps: the mean
 * absolute error of the forecasts divided by that of "the same step a week earlier". Scaling by
 * the naive's error on the steps scored (not in-sample) makes 1 read "no better than last week",
 * whatever the trace's level. Only whole steps after `from` count; null when none does.
 */
export function forecastMase(forecasts: StepForecasts, demand: readonly number[], from: number): number | null {
  const { stepMinutes, values } = forecasts;
  const season = WEEK_MINUTES / stepMinutes;
  if (!Number.isInteger(season)) throw new RangeError(`a week is not a whole number of ${stepMinutes}-minute steps`);
  const actual = (step: number): number => {
    let sum = 0;
    for (let t = step * stepMinutes; t < (step + 1) * stepMinutes; t++) sum += demand[t]!;
    return sum / stepMinutes;
  };
  let errors = 0;
  let naiveErrors = 0;
  const last = Math.floor(demand.length / stepMinutes);
  for (let step = Math.max(season, Math.ceil(from / stepMinutes)); step < Math.min(last, values.length); step++) {
    const predicted = values[step]!;
    if (Number.isNaN(predicted)) continue;
    const a = actual(step);
    errors += Math.abs(predicted - a);
    naiveErrors += Math.abs(actual(step - season) - a);
  }
  return naiveErrors > 0 ? errors / naiveErrors : null;
}
