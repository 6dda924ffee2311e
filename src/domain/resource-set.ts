import { z } from 'zod';

/** DNS-label ids: they end up in workflow ids, URLs, process names and instance tags. */
export const resourceSetIdSchema = z.string()
  .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'must be 1-63 lowercase letters, digits or "-", starting and ending with a letter or digit');

export const scalingModes = ['forecast-only', 'forecast-and-scale'] as const;

export const policySchema = z.strictObject({
  mode: z.enum(scalingModes).default('forecast-and-scale'),
  targetUtilization: z.number().gt(0).max(1).default(0.7),
  intervalSeconds: z.number().int().min(5).max(3600).default(60),
  leadTimeSeconds: z.number().int().min(0).max(86_400).default(300),
  scaleInStabilizationSeconds: z.number().int().min(0).max(86_400).default(300),
  maxScaleInStep: z.number().int().min(1).max(10_000).default(10),
});

export const sloSchema = z.strictObject({
  latencyP95Ms: z.number().gt(0).max(600_000).default(250),
  errorRate: z.number().min(0).max(1).default(0.01),
});

export const resourceSetSpecSchema = z.strictObject({
  id: resourceSetIdSchema,
  provider: z.enum(['local', 'aws']),
  providerRef: z.string().min(1).max(255).optional(),
  minInstances: z.number().int().min(0).max(10_000),
  maxInstances: z.number().int().min(1).max(10_000),
  instanceType: z.string().regex(/^[a-z0-9][a-z0-9.-]{0,63}$/, 'must be an instance type name such as local.small or m7g.large').optional(),
  policy: policySchema.prefault({}),
  slo: sloSchema.prefault({}),
}).refine((s) => s.maxInstances >= s.minInstances, { path: ['maxInstances'], message: 'must be at least minInstances' });

/** The request body as written by a user (defaults not yet applied). */
export type ResourceSetSpecInput = z.input<typeof resourceSetSpecSchema>;
/** The canonical spec: every default filled in, so two requests meaning the same compare equal. */
export type ResourceSetSpec = z.output<typeof resourceSetSpecSchema>;
export type ScalingPolicy = ResourceSetSpec['policy'];
export type ScalingMode = (typeof scalingModes)[number];

export function workflowIdFor(resourceSetId: string): string {
  return `resource-set-${resourceSetId}`;
}
