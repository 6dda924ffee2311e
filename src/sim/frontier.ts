import { runBacktest } from './backtest.js';
import type { Objective } from './calibrate.js';
import { pointPolicy, reactivePoint } from './operating-points.js';
import { calibrated, CALIBRATED_DEFAULTS } from './policies/calibrated.js';
import type { PolicySpec } from './policy.js';

/** The baselines' utilisations a frontier spans (the benchmark's definition: 0.5–0.9). */
export const FRONTIER_TARGETS = [0.5, 0.6, 0.7, 0.8, 0.9] as const;

/** Predictive's own operating points: its objective, from the default to tight and loose budgets. */
const PREDICTIVE_OBJECTIVES: readonly { label: string; objective: Objective }[] = [
  { label: 'default', objective: {} },
  { label: '≤ 0.1 % short', objective: { maxShortMinutesPct: 0.1 } },
  { label: '≤ 1 % short', objective: { maxShortMinutesPct: 1 } },
  { label: '≤ 5 % short', objective: { maxShortMinutesPct: 5 } },
  { label: '≤ 15 % short', objective: { maxShortMinutesPct: 15 } },
];

export type FrontierPolicy = 'hpa' | 'aws' | 'predictive';

export interface FrontierPoint {
  policy: FrontierPolicy;
  /** "0.7" for a baseline's target, the objective for predictive. */
  label: string;
  tauU: number;
  cost: number;
  /** The configuration the set runs today. */
  current: boolean;
}

export interface Frontier {
  points: FrontierPoint[];
  /** Today's predictive point against the better baseline at its cost. */
  today: { tauU: number; cost: number; envelopeTau: number };
}

export interface FrontierInput {
  demand: readonly number[];
  startTime: number;
  /** The set's target utilisation: its reactive baseline, and today's predictive point's. */
  target: number;
  /** Today's objective, marked on the frontier. */
  objective?: Objective;
  warmupDays: number;
  onProgress?: (fraction: number) => void;
}

const baseline = (policy: 'hpa' | 'aws', target: number): PolicySpec => ({
  name: `${policy}@${target}`,
  create: (env) => pointPolicy({ ...reactivePoint(target), rule: policy === 'hpa' ? 'reactive' : 'seasonal' }, env),
});

/**
 * τU against cost for each policy: hpa and aws at targets 0.5–0.9, predictive at its objectives —
 * what a user weighs before switching prediction on. All in one backtest, against one oracle.
 */
export async function frontier(input: FrontierInput): Promise<Frontier> {
  const todays = input.objective ?? {};
  const objectives = [
    { label: 'today', objective: todays },
    ...PREDICTIVE_OBJECTIVES.filter((o) => JSON.stringify(o.objective) !== JSON.stringify(todays)),
  ];
  const specs: { policy: FrontierPolicy; label: string; spec: PolicySpec }[] = [
    ...FRONTIER_TARGETS.flatMap((t) =>
      (['hpa', 'aws'] as const).map((policy) => ({ policy, label: String(t), spec: baseline(policy, t) })),
    ),
    ...(await Promise.all(
      objectives.map(async ({ label, objective }, i) => ({
        policy: 'predictive' as const,
        label,
        spec: await calibrated({ ...CALIBRATED_DEFAULTS, objective }, `predictive#${i}`),
      })),
    )),
  ];
  const result = runBacktest({
    demand: input.demand,
    startTime: input.startTime,
    policies: specs.map((s) => s.spec),
    target: input.target,
    warmupDays: input.warmupDays,
    onProgress: input.onProgress,
  });
  const points = specs.map(({ policy, label, spec }): FrontierPoint => {
    const { tauU, cost } = result.runs.find((r) => r.name === spec.name)!.figures;
    return { policy, label, tauU, cost, current: policy === 'predictive' && label === 'today' };
  });
  const today = points.find((p) => p.current)!;
  const baselines = (['hpa', 'aws'] as const).map((policy) => points.filter((p) => p.policy === policy));
  return { points, today: { tauU: today.tauU, cost: today.cost, envelopeTau: envelopeTau(baselines, today.cost) } };
}

/**
 * Fewest short minutes (%) any baseline reaches at this cost, each baseline's points joined by
 * straight lines in cost; beyond a baseline's cheapest or dearest point, that point
 * (`envelope_tau` of ../shared/bench/reference_sim.py).
 */
export function envelopeTau(
  frontiers: readonly (readonly Pick<FrontierPoint, 'tauU' | 'cost'>[])[],
  cost: number,
): number {
  let best = Infinity;
  for (const unsorted of frontiers) {
    const pts = [...unsorted].sort((a, b) => a.cost - b.cost);
    if (pts.length === 0) continue;
    let tau = cost <= pts[0]!.cost ? pts[0]!.tauU : pts.at(-1)!.tauU;
    for (let i = 0; i + 1 < pts.length; i++) {
      const a = pts[i]!;
      const b = pts[i + 1]!;
      if (a.cost <= cost && cost <= b.cost) {
        tau = a.tauU + (b.cost > a.cost ? (cost - a.cost) / (b.cost - a.cost) : 0) * (b.tauU - a.tauU);
        break;
      }
    }
    best = Math.min(best, tau);
  }
  return best;
}
