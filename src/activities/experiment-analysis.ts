import type { MetricConfig } from '../canary/classify-metric.js';
import { judge } from '../canary/judge.js';
import type { InstanceSamples } from '../store/metrics.js';
import { sideSeries } from './rollout-analysis.js';
import type { JudgeExperimentInput, JudgedExperiment } from './experiment-types.js';

type Options = Omit<JudgeExperimentInput, 'resourceSetId'>;

/**
 * B against A with the rollout's judge, B in the canary's seat: the same per-interval series, the
 * same Mann–Whitney test and Hodges–Lehmann interval, the same critical error metric. Latency is
 * judged in both directions: High (B significantly slower beyond the allowed ratio) loses, Low (B
 * significantly faster by at least `minImprovement`) wins. B wins only on Low latency with no
 * other metric failing; anything else — worse, no better, or too little data to tell — keeps A,
 * because a change must earn its rollout.
 */
export function judgeExperiment(stats: Record<string, InstanceSamples>, o: Options): JudgedExperiment {
  const a = sideSeries(stats, o.a, o);
  const b = sideSeries(stats, o.b, o);
  const metrics: MetricConfig[] = [
    {
      name: 'latencyP95Ms',
      group: 'latency',
      direction: 'either',
      effectSize: { allowedIncrease: o.latencyAllowedIncrease, allowedDecrease: 1 - o.minImprovement },
    },
    // An interval without requests had no errors either.
    { name: 'errorRate', group: 'errors', direction: 'increase', critical: true, nanStrategy: 'replace' },
  ];
  const result = judge(
    { metrics, confidence: o.confidence },
    {
      latencyP95Ms: { baseline: a.latencyP95Ms, canary: b.latencyP95Ms },
      errorRate: { baseline: a.errorRate, canary: b.errorRate },
    },
  );
  const latency = result.metrics.find((m) => m.name === 'latencyP95Ms')!;
  const others = result.metrics.filter((m) => m !== latency && m.classification !== 'Pass');
  const better = latency.classification === 'Low' && others.length === 0;
  const reason = better
    ? `B is better: ${latency.reason}`
    : others.length > 0
      ? `A kept: ${others.map((m) => m.reason).join('; ')}`
      : latency.classification === 'High'
        ? `A kept, B is worse: ${latency.reason}`
        : `A kept, B is not shown better: ${latency.reason}`;
  const counted = (values: number[]): number => values.filter(Number.isFinite).length;
  return {
    winner: better ? 'b' : 'a',
    verdict: result.verdict,
    score: result.score,
    reason,
    metrics: result.metrics.map((m) => ({ name: m.name, classification: m.classification, reason: m.reason })),
    canarySamples: counted(b.latencyP95Ms),
    baselineSamples: counted(a.latencyP95Ms),
  };
}
