import type { ShiftEstimate } from './hodges-lehmann.js';
import { hodgesLehmann, medianOfSorted } from './hodges-lehmann.js';
import type { Alternative } from './mann-whitney.js';
import { mannWhitney } from './mann-whitney.js';
import type { UMethod } from './u-distribution.js';

/** Which change hurts: 'increase' for latency or errors, 'decrease' for throughput, 'either' for both. */
export type Direction = 'increase' | 'decrease' | 'either';

/**
 * What a NaN sample means. 'remove': the interval was not measured, drop it. 'replace': nothing
 * happened (an error counter that was never emitted), count it as 0; a side with no samples at all
 * then counts as all zeros too, one per interval of the other side.
 */
export type NanStrategy = 'remove' | 'replace';

export type Classification = 'Pass' | 'High' | 'Low' | 'NoData' | 'Error';

/**
 * Tolerated size of a change, as Kayenta's effectSize: ratios of the canary's level to the
 * baseline's, where the canary's level is the baseline median plus the Hodges–Lehmann shift.
 */
export interface EffectSize {
  /** e.g. 1.1: the canary may run up to 10% above the baseline. Default 1 (no tolerance). */
  readonly allowedIncrease?: number;
  /** e.g. 0.9: the canary may run up to 10% below the baseline. Default 1 (no tolerance). */
  readonly allowedDecrease?: number;
}

export interface MetricConfig {
  readonly name: string;
  /** Score group; default 'default'. */
  readonly group?: string;
  /** Default 'either'. */
  readonly direction?: Direction;
  readonly effectSize?: EffectSize;
  /** Anything but Pass on this metric fails the whole run, whatever the score. */
  readonly critical?: boolean;
  /** A side without samples fails this metric instead of leaving it out of the score. */
  readonly mustHaveData?: boolean;
  /** Default 'remove'. */
  readonly nanStrategy?: NanStrategy;
}

/** One value per sampling interval of the bake (e.g. each interval's p95 latency), per side. */
export interface MetricSamples {
  readonly baseline: readonly number[];
  readonly canary: readonly number[];
}

/** The canary's level as a ratio to the baseline's: 1 + shift / |baseline median|. */
export interface LevelRatio {
  readonly estimate: number;
  readonly lower: number;
  readonly upper: number;
}

export interface MetricStatistics {
  readonly baselineCount: number;
  readonly canaryCount: number;
  readonly baselineMedian: number;
  readonly canaryMedian: number;
  /** Mann–Whitney U of canary against baseline; the alternative follows the metric's direction. */
  readonly u: number;
  readonly pValue: number;
  readonly alternative: Alternative;
  readonly method: UMethod;
  /** Hodges–Lehmann shift canary − baseline with its two-sided interval at the judge's confidence. */
  readonly shift: ShiftEstimate;
  /** Null when the baseline median is 0: no ratio exists, so the tolerance cannot apply. */
  readonly ratio: LevelRatio | null;
}

export interface MetricResult {
  readonly name: string;
  readonly group: string;
  readonly classification: Classification;
  readonly critical: boolean;
  /** Whether the metric takes part in its group's score: judged, or lacking data it must have. */
  readonly scored: boolean;
  readonly reason: string;
  readonly statistics?: MetricStatistics;
}

/**
 * High (or Low) when the Mann–Whitney test finds the canary significantly higher (lower) and the
 * Hodges–Lehmann estimate of the canary's level is beyond the allowed ratio: the change is real and
 * it matters, the two conditions of Kayenta's Mann–Whitney classifier. The test is one-sided at
 * (1 − confidence)/2 for a one-directional metric and two-sided at 1 − confidence for 'either', so it
 * agrees with the reported two-sided interval on continuous data. Kayenta asks the interval itself
 * to exclude zero; asking the test instead keeps zero-heavy metrics such as error rates judgeable,
 * whose shift estimate and interval sit on 0 even when the canary errs far more often.
 */
export function classifyMetric(
  config: MetricConfig,
  samples: MetricSamples | undefined,
  confidence: number,
): MetricResult {
  const { name, direction = 'either', critical = false, mustHaveData = false, nanStrategy = 'remove' } = config;
  const base = { name, group: config.group ?? 'default', critical };
  const result = (classification: Classification, scored: boolean, reason: string, statistics?: MetricStatistics) => ({
    ...base,
    classification,
    scored,
    reason: `${name}: ${reason}`,
    ...(statistics && { statistics }),
  });

  const raw = samples ?? { baseline: [], canary: [] };
  if ([...raw.baseline, ...raw.canary].some((v) => v === Infinity || v === -Infinity)) {
    return result('Error', mustHaveData, 'samples hold infinite values');
  }
  let baseline = clean(raw.baseline, nanStrategy);
  let canary = clean(raw.canary, nanStrategy);
  if (baseline.length === 0 || canary.length === 0) {
    if (nanStrategy === 'remove' || mustHaveData) {
      const missing = baseline.length === 0 ? (canary.length === 0 ? 'either side' : 'the baseline') : 'the canary';
      return result('NoData', mustHaveData, `no usable samples from ${missing}`);
    }
    if (baseline.length === 0 && canary.length === 0) {
      return result('Pass', true, "no samples on either side, which counts as 0 under nanStrategy 'replace'");
    }
    baseline = baseline.length === 0 ? canary.map(() => 0) : baseline;
    canary = canary.length === 0 ? baseline.map(() => 0) : canary;
  }

  const shift = hodgesLehmann(canary, baseline, { confidence });
  if (shift.achievedConfidence < confidence) {
    return result(
      'NoData',
      mustHaveData,
      `${canary.length} canary and ${baseline.length} baseline samples cannot reach ${percent(confidence)} confidence`,
    );
  }
  const alternative: Alternative =
    direction === 'increase' ? 'greater' : direction === 'decrease' ? 'less' : 'two-sided';
  const test = mannWhitney(canary, baseline, { alternative });
  const baselineMedian = median(baseline);
  const scale = Math.abs(baselineMedian);
  const ratio =
    scale === 0
      ? null
      : { estimate: 1 + shift.estimate / scale, lower: 1 + shift.lower / scale, upper: 1 + shift.upper / scale };
  const statistics: MetricStatistics = {
    baselineCount: baseline.length,
    canaryCount: canary.length,
    baselineMedian,
    canaryMedian: median(canary),
    u: test.u,
    pValue: test.pValue,
    alternative,
    method: test.method,
    shift,
    ratio,
  };

  const { allowedIncrease = 1, allowedDecrease = 1 } = config.effectSize ?? {};
  const evidence = describeChange(statistics, confidence);
  const significant = test.pValue <= (direction === 'either' ? 1 - confidence : (1 - confidence) / 2);
  const risen = significant && test.u > (canary.length * baseline.length) / 2;
  const fallen = significant && !risen;
  if (direction !== 'decrease' && risen && (ratio === null || ratio.estimate > allowedIncrease)) {
    return result('High', true, `canary higher, ${evidence}${beyond(ratio, allowedIncrease)}`, statistics);
  }
  if (direction !== 'increase' && fallen && (ratio === null || ratio.estimate < allowedDecrease)) {
    return result('Low', true, `canary lower, ${evidence}${beyond(ratio, allowedDecrease)}`, statistics);
  }
  const why = significant
    ? `significant ${risen ? 'rise' : 'fall'} within the allowed ${signedPercent((risen ? allowedIncrease : allowedDecrease) - 1)}`
    : `no significant ${direction === 'increase' ? 'rise' : direction === 'decrease' ? 'fall' : 'change'}`;
  return result('Pass', true, `${why}, ${evidence}`, statistics);
}

function clean(values: readonly number[], strategy: NanStrategy): number[] {
  return strategy === 'remove' ? values.filter((v) => !Number.isNaN(v)) : values.map((v) => (Number.isNaN(v) ? 0 : v));
}

function median(values: readonly number[]): number {
  return medianOfSorted(Float64Array.from(values).sort());
}

function describeChange(s: MetricStatistics, confidence: number): string {
  const { shift, ratio } = s;
  const level = `${percent(confidence)} CI`;
  const relative = ratio
    ? `${signedPercent(ratio.estimate - 1)} (${level} ${signedPercent(ratio.lower - 1)} .. ${signedPercent(ratio.upper - 1)}), `
    : '';
  return (
    `${relative}shift ${signed(shift.estimate)} (${level} ${signed(shift.lower)} .. ${signed(shift.upper)}), ` +
    `U = ${s.u}, p = ${s.pValue.toPrecision(3)} ${s.alternative}`
  );
}

function beyond(ratio: LevelRatio | null, allowed: number): string {
  return ratio === null
    ? '; the baseline median is 0, so no tolerance applies'
    : `; allowed ${signedPercent(allowed - 1)}`;
}

function percent(fraction: number): string {
  return `${Number((fraction * 100).toPrecision(4))}%`;
}

function signedPercent(fraction: number): string {
  return `${fraction >= 0 ? '+' : ''}${(fraction * 100).toFixed(1)}%`;
}

function signed(value: number): string {
  return `${value >= 0 ? '+' : ''}${Number(value.toPrecision(3))}`;
}
