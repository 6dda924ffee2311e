import type { MetricConfig, MetricSamples } from '../canary/classify-metric.js';
import { judge } from '../canary/judge.js';
import type { InstanceSamples } from '../store/metrics.js';
import type { AnalyseStepInput, StepVerdict } from './types.js';

type Options = Omit<AnalyseStepInput, 'resourceSetId'>;

/** Per-interval figures of one side: each instance's samples pooled into the judge's intervals. */
interface SideSeries {
  latencyP95Ms: number[];
  errorRate: number[];
}

/**
 * Pools the side's instances per judged interval: p95 latency weighted by requests (an instance
 * serving more counts more), error rate as errors over requests. An interval without requests
 * has NaN for both.
 */
export function sideSeries(
  stats: Record<string, InstanceSamples>,
  ids: readonly string[],
  o: Pick<Options, 'from' | 'to' | 'sampleIntervalSeconds'>,
): SideSeries {
  const n = Math.max(0, Math.ceil((o.to - o.from) / o.sampleIntervalSeconds));
  const requests = new Array<number>(n).fill(0);
  const errors = new Array<number>(n).fill(0);
  const latencyWeight = new Array<number>(n).fill(0);
  const latencySum = new Array<number>(n).fill(0);
  for (const id of ids) {
    const s = stats[id];
    if (!s) continue;
    s.ts.forEach((ts, i) => {
      // A sample's ts is its interval's end: it belongs to the judged interval it ends in.
      if (!(ts > o.from && ts <= o.to)) return;
      const b = Math.min(n - 1, Math.ceil((ts - o.from) / o.sampleIntervalSeconds) - 1);
      const r = s.requests[i] ?? 0;
      requests[b]! += r;
      const rate = s.errorRate[i] ?? NaN;
      if (Number.isFinite(rate)) errors[b]! += rate * r;
      const p95 = s.latencyP95Ms[i] ?? NaN;
      if (Number.isFinite(p95) && r > 0) {
        latencySum[b]! += p95 * r;
        latencyWeight[b]! += r;
      }
    });
  }
  return {
    latencyP95Ms: latencySum.map((sum, b) => (latencyWeight[b]! > 0 ? sum / latencyWeight[b]! : NaN)),
    errorRate: errors.map((e, b) => (requests[b]! > 0 ? e / requests[b]! : NaN)),
  };
}

const finite = (values: number[]): number[] => values.filter(Number.isFinite);
const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/**
 * Canary against baseline with the Kayenta-style judge: p95 latency may not rise beyond the
 * allowed ratio, and any significant rise of the error rate fails at once (critical). With no
 * baseline left (the last step), the canary is held to the resource set's SLO instead.
 */
export function judgeStep(stats: Record<string, InstanceSamples>, o: Options): StepVerdict {
  const canary = sideSeries(stats, o.canary, o);
  const counted = finite(canary.latencyP95Ms).length;
  if (o.baseline.length === 0) return sloVerdict(canary, counted, o.slo);
  const baseline = sideSeries(stats, o.baseline, o);
  const metrics: MetricConfig[] = [
    {
      name: 'latencyP95Ms',
      group: 'latency',
      direction: 'increase',
      effectSize: { allowedIncrease: o.latencyAllowedIncrease },
    },
    // An interval without requests had no errors either.
    { name: 'errorRate', group: 'errors', direction: 'increase', critical: true, nanStrategy: 'replace' },
  ];
  const data: Record<string, MetricSamples> = {
    latencyP95Ms: { baseline: baseline.latencyP95Ms, canary: canary.latencyP95Ms },
    errorRate: { baseline: baseline.errorRate, canary: canary.errorRate },
  };
  const result = judge({ metrics, confidence: o.confidence }, data);
  return {
    verdict: result.verdict,
    score: result.score,
    reason: result.reason,
    metrics: result.metrics.map((m) => ({ name: m.name, classification: m.classification, reason: m.reason })),
    canarySamples: counted,
    baselineSamples: finite(baseline.latencyP95Ms).length,
  };
}

function sloVerdict(canary: SideSeries, counted: number, slo: AnalyseStepInput['slo']): StepVerdict {
  const latencies = finite(canary.latencyP95Ms);
  const rates = finite(canary.errorRate);
  const base = { canarySamples: counted, baselineSamples: 0 };
  if (latencies.length === 0) {
    // No traffic is no evidence: the rollout waits for some rather than rolling back.
    const reason = 'no baseline left and no canary samples: nothing to judge';
    return {
      ...base,
      verdict: 'inconclusive',
      score: 0,
      reason,
      metrics: [{ name: 'latencyP95Ms', classification: 'NoData', reason }],
    };
  }
  const p95 = median(latencies);
  const errorRate = rates.length ? median(rates) : 0;
  const metrics = [
    {
      name: 'latencyP95Ms',
      classification: p95 <= slo.latencyP95Ms ? 'Pass' : 'High',
      reason: `median p95 ${p95.toFixed(1)} ms against the SLO's ${slo.latencyP95Ms} ms`,
    },
    {
      name: 'errorRate',
      classification: errorRate <= slo.errorRate ? 'Pass' : 'High',
      reason: `median error rate ${errorRate.toFixed(4)} against the SLO's ${slo.errorRate}`,
    },
  ];
  const failing = metrics.filter((m) => m.classification !== 'Pass');
  return {
    ...base,
    metrics,
    verdict: failing.length ? 'fail' : 'pass',
    score: (100 * (metrics.length - failing.length)) / metrics.length,
    reason: `no baseline left: held to the SLO; ${failing.length ? `breached: ${failing.map((m) => m.reason).join('; ')}` : 'within it'}`,
  };
}
