// What the scaling benchmarks judge a predictive run by, against the baselines of the same trace.
import type { PolicyRun } from '../../src/sim/backtest.js';
import { envelopeTau, FRONTIER_TARGETS } from '../../src/sim/frontier.js';
import { pointPolicy, reactivePoint } from '../../src/sim/operating-points.js';
import type { PolicySpec } from '../../src/sim/policy.js';

export interface Point {
  tauU: number;
  cost: number;
  shortMinutes: number;
}

export const point = (run: PolicyRun): Point => ({
  tauU: run.figures.tauU,
  cost: run.figures.cost,
  shortMinutes: run.figures.shortMinutes,
});

/** hpa@t and aws@t at every frontier target: the policies a predictive run is judged against. */
export const baselineSpecs = (): PolicySpec[] =>
  FRONTIER_TARGETS.flatMap((t) =>
    (['reactive', 'seasonal'] as const).map((rule) => ({
      name: `${rule === 'reactive' ? 'hpa' : 'aws'}@${t}`,
      create: (env) => pointPolicy({ ...reactivePoint(t), rule }, env),
    })),
  );

/**
 * The two targets on one trace: no more short minutes than hpa at `target` for less cost,
 * and short no more often than the better baseline's frontier at the same cost.
 */
export function verdict(
  baselines: Record<string, Point>,
  p: Point,
  target: number,
): { dominates: boolean; envelope: number; onFrontier: boolean } {
  const hpa = baselines[`hpa@${target}`]!;
  const frontiers = (['hpa', 'aws'] as const).map((name) => FRONTIER_TARGETS.map((t) => baselines[`${name}@${t}`]!));
  const envelope = envelopeTau(frontiers, p.cost);
  return {
    dominates: p.shortMinutes <= hpa.shortMinutes && p.cost < hpa.cost,
    envelope,
    onFrontier: p.tauU <= envelope + 1e-9,
  };
}
