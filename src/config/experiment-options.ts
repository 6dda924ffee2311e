// Pure: the API validates with it, the experiment workflow reads its output type.
import { z } from 'zod';
import { DEFAULT_CONFIDENCE, DEFAULT_SAMPLE_INTERVAL_SECONDS } from '../canary/judge.js';
import { rolloutOptionsSchema } from './rollout-options.js';
import { templateNameSchema } from './template.js';

const versionRef = z.strictObject({ template: templateNameSchema, version: z.number().int().min(1) });

/**
 * POST /v1/resource-sets/:id/experiments: the two template versions, and how the experiment is
 * held and judged (every field but the duration has a default).
 */
export const experimentRequestSchema = z
  .strictObject({
    a: versionRef,
    b: versionRef,
    /** Share of the serving fleet that runs B; the rest runs A. */
    split: z.number().gt(0).lt(1).default(0.5),
    /** How long both versions are held side by side before the judge compares them. */
    durationSeconds: z
      .number()
      .int()
      .min(10)
      .max(30 * 86_400),
    /** Not judged at the start: a freshly configured or launched instance warms its cache first. */
    warmupSeconds: z.number().int().min(0).max(3_600).default(30),
    /** How often the groups are checked, so that instances launched meanwhile join per the split. */
    rebalanceSeconds: z.number().int().min(5).max(3_600).default(30),
    sampleIntervalSeconds: z.number().int().min(1).max(3_600).default(DEFAULT_SAMPLE_INTERVAL_SECONDS),
    confidence: z.number().gt(0.5).lt(1).default(DEFAULT_CONFIDENCE),
    /** B loses when its p95 latency runs more than this ratio above A's. */
    latencyAllowedIncrease: z.number().min(1).max(10).default(1.1),
    /** B wins only when its p95 latency is significantly below A's by at least this share. */
    minImprovement: z.number().min(0).lt(1).default(0.05),
    /** How the winner is then rolled out to the whole set (the resource set's staged rollout). */
    promotion: rolloutOptionsSchema.prefault({}),
  })
  .refine((o) => o.durationSeconds > o.warmupSeconds, {
    path: ['durationSeconds'],
    message: 'must exceed warmupSeconds',
  })
  .refine((o) => o.a.template !== o.b.template || o.a.version !== o.b.version, {
    path: ['b'],
    message: 'must be another version than a',
  });
export type ExperimentRequestBody = z.output<typeof experimentRequestSchema>;
