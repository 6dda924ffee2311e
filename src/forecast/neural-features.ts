/**
 * What the neural forecaster sees at a forecast origin t (the last observed step), all values
 * divided by the window's level — the mean of its last season — so the net learns shapes, not
 * magnitudes, and a level that drifted since training does not throw it off (DeepAR's mean
 * scaling). The level itself enters as log(level ÷ the model's stored scale). The features:
 * - the last `recentLags` values (the current level and trend);
 * - for one and two seasons back, the steps aligned with the horizon, `pad` steps either side
 *   (what the same hours looked like, with some slack for drift);
 * - the last two seasons as `blocks` block means (the whole daily/weekly profile, subsampled);
 * - sin/cos of the time of day and of the day of week of the first forecast step.
 * Targets are the next `horizonSteps` values: one direct forecast per step, no recursion.
 */
export interface NeuralFeatureSpec {
  stepSeconds: number;
  seasonSteps: number;
  horizonSteps: number;
  recentLags: number;
  pad: number;
  blocks: number;
}

const SEASONS_BACK = 2;
const CALENDAR_FEATURES = 4;
const LEVEL_FEATURES = 1;
// A window that was nearly idle would otherwise blow its ratios up; relative to the stored scale.
const LEVEL_FLOOR = 0.05;
const DAY = 86_400;
const WEEK = 7 * DAY;

/** Defaults for a series: the pad and the lags shrink for short seasons so the windows fit. */
export function featureSpecFor(options: {
  stepSeconds: number;
  seasonSteps: number;
  horizonSteps: number;
}): NeuralFeatureSpec {
  const { stepSeconds, seasonSteps, horizonSteps } = options;
  if (!(Number.isInteger(seasonSteps) && seasonSteps >= 2))
    throw new RangeError(`seasonSteps must be an integer ≥ 2 (got ${seasonSteps})`);
  if (!(Number.isInteger(horizonSteps) && horizonSteps >= 1 && horizonSteps <= seasonSteps)) {
    throw new RangeError(`horizonSteps must be an integer in 1..seasonSteps (${seasonSteps}), got ${horizonSteps}`);
  }
  return {
    stepSeconds,
    seasonSteps,
    horizonSteps,
    recentLags: Math.min(seasonSteps, 24),
    pad: Math.min(horizonSteps, seasonSteps - horizonSteps, 12),
    blocks: Math.min(SEASONS_BACK * seasonSteps, 24),
  };
}

export function inputWidth(spec: NeuralFeatureSpec): number {
  return (
    spec.recentLags +
    SEASONS_BACK * (spec.horizonSteps + 2 * spec.pad) +
    spec.blocks +
    CALENDAR_FEATURES +
    LEVEL_FEATURES
  );
}

/** Observations needed before the first origin: two seasons plus the pad before them. */
export function minHistory(spec: NeuralFeatureSpec): number {
  return SEASONS_BACK * spec.seasonSteps + spec.pad;
}

/** Prefix sums, so that any block mean costs O(1). */
function prefixSums(values: readonly number[]): Float64Array {
  const sums = new Float64Array(values.length + 1);
  for (let i = 0; i < values.length; i++) sums[i + 1] = sums[i]! + values[i]!;
  return sums;
}

/**
 * Writes the features of origin t into `out` at `offset`. `values` are raw; `start` is the epoch
 * second of values[0]; `level` is the window's.
 */
function writeFeatures(
  out: Float32Array,
  offset: number,
  values: readonly number[],
  sums: Float64Array,
  start: number,
  t: number,
  spec: NeuralFeatureSpec,
  level: number,
  scale: number,
): void {
  const { recentLags, seasonSteps: m, horizonSteps: h, pad, blocks } = spec;
  let k = offset;
  out[k++] = Math.log(level / scale);
  for (let i = t - recentLags + 1; i <= t; i++) out[k++] = values[i]! / level;
  for (let season = 1; season <= SEASONS_BACK; season++) {
    const from = t + 1 - season * m - pad;
    for (let i = from; i < from + h + 2 * pad; i++) out[k++] = values[i]! / level;
  }
  const span = SEASONS_BACK * m;
  const first = t + 1 - span;
  for (let b = 0; b < blocks; b++) {
    const lo = first + Math.floor((b * span) / blocks);
    const hi = first + Math.floor(((b + 1) * span) / blocks);
    out[k++] = (sums[hi]! - sums[lo]!) / (hi - lo) / level;
  }
  const when = start + (t + 1) * spec.stepSeconds;
  const day = (2 * Math.PI * (((when % DAY) + DAY) % DAY)) / DAY;
  // Epoch day 0 was a Thursday; the phase is arbitrary but fixed, which is all the model needs.
  const week = (2 * Math.PI * (((when % WEEK) + WEEK) % WEEK)) / WEEK;
  out[k++] = Math.sin(day);
  out[k++] = Math.cos(day);
  out[k++] = Math.sin(week);
  out[k] = Math.cos(week);
}

export interface FeatureMatrix {
  x: Float32Array;
  /** Targets ÷ level, horizonSteps per row; empty when built for prediction. */
  y: Float32Array;
  /** Each row's level: multiply the net's outputs by it. */
  levels: Float64Array;
  rows: number;
}

/** One row per origin; with `withTargets`, every origin must have horizonSteps observations after it. */
export function buildFeatures(
  values: readonly number[],
  start: number,
  origins: readonly number[],
  spec: NeuralFeatureSpec,
  scale: number,
  withTargets: boolean,
): FeatureMatrix {
  const width = inputWidth(spec);
  const sums = prefixSums(values);
  const x = new Float32Array(origins.length * width);
  const y = new Float32Array(withTargets ? origins.length * spec.horizonSteps : 0);
  const levels = new Float64Array(origins.length);
  origins.forEach((t, row) => {
    if (t < minHistory(spec) - 1 || t >= values.length || (withTargets && t + spec.horizonSteps >= values.length)) {
      throw new RangeError(`origin ${t} lacks the history or future its features need`);
    }
    const level = Math.max((sums[t + 1]! - sums[t + 1 - spec.seasonSteps]!) / spec.seasonSteps, LEVEL_FLOOR * scale);
    levels[row] = level;
    writeFeatures(x, row * width, values, sums, start, t, spec, level, scale);
    if (withTargets) {
      for (let j = 0; j < spec.horizonSteps; j++) y[row * spec.horizonSteps + j] = values[t + 1 + j]! / level;
    }
  });
  return { x, y, levels, rows: origins.length };
}

/** Every origin of `values` that has full features and a full horizon of targets after it. */
export function trainingOrigins(length: number, spec: NeuralFeatureSpec): number[] {
  const first = minHistory(spec) - 1;
  const last = length - 1 - spec.horizonSteps;
  return last < first ? [] : Array.from({ length: last - first + 1 }, (_, i) => first + i);
}
