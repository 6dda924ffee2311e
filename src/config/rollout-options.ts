// Pure and deterministic: the rollout workflow imports it.
import { z } from 'zod';
import { DEFAULT_CONFIDENCE, DEFAULT_SAMPLE_INTERVAL_SECONDS, DEFAULT_SAMPLE_SIZE } from '../canary/judge.js';

/** A step moves a fixed number of instances, or a share of the fleet, to the new version. */
export const rolloutStepSchema = z.union([
  z.strictObject({ instances: z.number().int().min(1).max(10_000) }),
  z.strictObject({ percent: z.number().gt(0).max(100) }),
]);
export type RolloutStep = z.infer<typeof rolloutStepSchema>;

export const DEFAULT_STEPS: RolloutStep[] = [{ instances: 1 }, { percent: 25 }, { percent: 50 }, { percent: 100 }];

export const DEFAULT_INCONCLUSIVE_LIMIT = 3;

/** How a rollout proceeds; every field has a production default. */
export const rolloutOptionsSchema = z.strictObject({
  steps: z.array(rolloutStepSchema).min(1).max(20).default(DEFAULT_STEPS),
  /** Judged time per step; the judge's default sample size at its default interval. */
  bakeSeconds: z
    .number()
    .int()
    .min(0)
    .max(86_400)
    .default(DEFAULT_SAMPLE_SIZE * DEFAULT_SAMPLE_INTERVAL_SECONDS),
  /** Not judged: a new process's cold cache and JIT would pose as a regression. */
  warmupSeconds: z.number().int().min(0).max(3_600).default(30),
  /** One judged value per metric and side per interval. */
  sampleIntervalSeconds: z.number().int().min(1).max(3_600).default(DEFAULT_SAMPLE_INTERVAL_SECONDS),
  confidence: z.number().gt(0.5).lt(1).default(DEFAULT_CONFIDENCE),
  /** Canary p95 latency may run this much above the baseline's (a ratio). */
  latencyAllowedIncrease: z.number().min(1).max(10).default(1.1),
  /**
   * Inconclusive analyses in a row (no data: no traffic on a side) a step bakes through before it
   * pauses for an operator; by default half an hour at the default bake.
   */
  inconclusiveLimit: z.number().int().min(0).max(100).default(DEFAULT_INCONCLUSIVE_LIMIT),
  /** False: bake between steps but judge nothing (a rollback re-applies a version already proven). */
  analysis: z.boolean().default(true),
});
export type RolloutOptions = z.output<typeof rolloutOptionsSchema>;
export type RolloutOptionsInput = z.input<typeof rolloutOptionsSchema>;

/** How many instances should run the new version at this step, of `fleet` running instances. */
export function stepTarget(step: RolloutStep, fleet: number): number {
  const wanted = 'instances' in step ? step.instances : Math.ceil((step.percent / 100) * fleet - 1e-9);
  return Math.min(fleet, Math.max(1, wanted));
}

export function describeStep(step: RolloutStep): string {
  return 'instances' in step ? `${step.instances} instance${step.instances === 1 ? '' : 's'}` : `${step.percent}%`;
}
