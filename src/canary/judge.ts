import type { MetricConfig, MetricResult, MetricSamples } from './classify-metric.js';
import { classifyMetric } from './classify-metric.js';

/** Kayenta's classifier confidence: a one-directional metric is then tested at 1% one-sided. */
export const DEFAULT_CONFIDENCE = 0.98;
/** Kayenta's customary score thresholds. */
export const DEFAULT_THRESHOLDS: ScoreThresholds = { pass: 95, marginal: 75 };
/**
 * Default bake sampling: one value per metric every 10 s over a 10-minute bake, 60 a side. In
 * bench/canary-judge.ts (p95 latency with a 5% allowance, one canary against one baseline instance)
 * 30 a side missed both targets (94.5% power against a 10% rise, 1.2% false positives on A/A runs),
 * 45 met them narrowly and 60 met them with room to spare (99.2%, 0.65%).
 */
export const DEFAULT_SAMPLE_INTERVAL_SECONDS = 10;
export const DEFAULT_SAMPLE_SIZE = 60;
/**
 * Kayenta's share: a run where this share of metrics or more could not be judged has no verdict.
 * Lacking data (NoData) it is inconclusive, as Argo Rollouts and Kayenta treat an empty
 * measurement: no traffic is no evidence either way. Broken data (Error), or a metric that must
 * have data (mustHaveData) going without, fails it.
 */
export const NO_DATA_FAIL_SHARE = 0.5;

export interface ScoreThresholds {
  /** Score at or above which the run passes. */
  readonly pass: number;
  /** Score at or above which a run short of `pass` is marginal; below it, the run fails. */
  readonly marginal: number;
}

export interface JudgeConfig {
  readonly metrics: readonly MetricConfig[];
  /**
   * Percent weight of each group, as Kayenta's groupWeights; groups not listed share what is left
   * of 100 equally. Groups with no scored metric drop out and the others' weights are rescaled.
   */
  readonly groupWeights?: Readonly<Record<string, number>>;
  /**
   * Two-sided confidence of every metric's shift interval, and so the test's level: 1 − confidence
   * for an 'either' metric, (1 − confidence)/2 one-sided otherwise. Each critical metric spends
   * its own share of false failures. Default DEFAULT_CONFIDENCE.
   */
  readonly confidence?: number;
  readonly thresholds?: ScoreThresholds;
}

export type Verdict = 'pass' | 'marginal' | 'fail' | 'inconclusive';

export interface GroupScore {
  readonly name: string;
  readonly weight: number;
  /** Percent of the group's scored metrics that passed; null when none was scored. */
  readonly score: number | null;
  readonly passed: number;
  readonly scored: number;
}

export interface JudgeResult {
  readonly verdict: Verdict;
  /** Weighted mean of the group scores, 0–100; a critical failure fails the run whatever it is. */
  readonly score: number;
  readonly reason: string;
  readonly groups: readonly GroupScore[];
  readonly metrics: readonly MetricResult[];
}

/** Judges canary against baseline over one bake: per-metric classification, group score, verdict. */
export function judge(config: JudgeConfig, data: Readonly<Record<string, MetricSamples>>): JudgeResult {
  const { confidence = DEFAULT_CONFIDENCE, thresholds = DEFAULT_THRESHOLDS } = config;
  validate(config, confidence, thresholds);
  const metrics = config.metrics.map((metric) => classifyMetric(metric, data[metric.name], confidence));
  const groups = scoreGroups(metrics, config.groupWeights ?? {});
  const weighted = groups.filter((g) => g.score !== null && g.weight > 0);
  const totalWeight = weighted.reduce((sum, g) => sum + g.weight, 0);
  const score = totalWeight > 0 ? weighted.reduce((sum, g) => sum + g.weight * (g.score ?? 0), 0) / totalWeight : 0;
  const failing = metrics.filter((m) => m.classification !== 'Pass');
  const result = (verdict: Verdict, reason: string) => ({ verdict, score, reason, groups, metrics });

  const critical = failing.find((m) => m.critical);
  if (critical) return result('fail', `critical metric failed: ${critical.reason}`);
  const unjudged = metrics.filter((m) => m.classification === 'NoData' || m.classification === 'Error');
  if (unjudged.length >= NO_DATA_FAIL_SHARE * metrics.length) {
    const verdict = unjudged.every((m) => m.classification === 'NoData' && !m.scored) ? 'inconclusive' : 'fail';
    return result(verdict, `${unjudged.length} of ${metrics.length} metrics could not be judged: ${list(unjudged)}`);
  }
  if (totalWeight === 0) return result('fail', 'no weighted metric could be judged');
  const summary = `score ${score.toFixed(1)}`;
  const detail = failing.length > 0 ? `; not passing: ${list(failing)}` : '';
  if (score >= thresholds.pass) return result('pass', `${summary} ≥ pass ${thresholds.pass}${detail}`);
  if (score >= thresholds.marginal) {
    return result('marginal', `${summary} < pass ${thresholds.pass} but ≥ marginal ${thresholds.marginal}${detail}`);
  }
  return result('fail', `${summary} < marginal ${thresholds.marginal}${detail}`);
}

function scoreGroups(metrics: readonly MetricResult[], weights: Readonly<Record<string, number>>): GroupScore[] {
  const names = [...new Set(metrics.map((m) => m.group))];
  const unlisted = names.filter((name) => weights[name] === undefined);
  const listedTotal = Object.values(weights).reduce((sum, w) => sum + w, 0);
  const share = unlisted.length > 0 ? Math.max(0, 100 - listedTotal) / unlisted.length : 0;
  return names.map((name) => {
    const scoredMetrics = metrics.filter((m) => m.group === name && m.scored);
    const passed = scoredMetrics.filter((m) => m.classification === 'Pass').length;
    return {
      name,
      weight: weights[name] ?? share,
      score: scoredMetrics.length > 0 ? (100 * passed) / scoredMetrics.length : null,
      passed,
      scored: scoredMetrics.length,
    };
  });
}

function validate(config: JudgeConfig, confidence: number, thresholds: ScoreThresholds): void {
  if (config.metrics.length === 0) throw new RangeError('a canary judge needs at least one metric');
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must lie in (0, 1), got ${confidence}`);
  if (!(thresholds.marginal <= thresholds.pass)) throw new RangeError('the marginal threshold must not exceed pass');
  const names = new Set<string>();
  for (const metric of config.metrics) {
    if (names.has(metric.name)) throw new RangeError(`metric ${metric.name} is configured twice`);
    names.add(metric.name);
    const { allowedIncrease = 1, allowedDecrease = 1 } = metric.effectSize ?? {};
    if (!(allowedIncrease >= 1)) throw new RangeError(`${metric.name}: allowedIncrease is a ratio ≥ 1`);
    if (!(allowedDecrease > 0 && allowedDecrease <= 1)) {
      throw new RangeError(`${metric.name}: allowedDecrease is a ratio in (0, 1]`);
    }
  }
  for (const [group, weight] of Object.entries(config.groupWeights ?? {})) {
    if (!(weight >= 0)) throw new RangeError(`group ${group}: weight must be ≥ 0`);
  }
}

function list(metrics: readonly MetricResult[]): string {
  return metrics.map((m) => `${m.name} (${m.classification})`).join(', ');
}
