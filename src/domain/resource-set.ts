import { z } from 'zod';
import { DEFAULT_PROFILE_NAME, profileRefSchema, type ProfileRef } from './app-profile.js';

/** DNS-label ids: they end up in workflow ids, URLs, process names and instance tags. */
export const resourceSetIdSchema = z
  .string()
  .regex(
    /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/,
    'must be 1-63 lowercase letters, digits or "-", starting and ending with a letter or digit',
  );

export const scalingModes = ['forecast-only', 'forecast-and-scale'] as const;

/**
 * What becomes of the configuration recommender's proposals (instance type right-sizing, tuned
 * app parameters): 'auto' rolls a proposal out through the canary path once its expected gain is
 * big enough, 'recommend' only lists it for a person to apply, 'off' makes none.
 */
export const configurationModes = ['auto', 'recommend', 'off'] as const;
export const configurationPolicySchema = z.strictObject({
  mode: z.enum(configurationModes).default('recommend'),
  /** How often the loop asks the recommender. */
  everySeconds: z
    .number()
    .int()
    .min(30)
    .max(7 * 86_400)
    .default(900),
  /** Below this expected relative gain a proposal is listed, never rolled out: a rollout has its own risk and cost. */
  minExpectedGain: z.number().min(0).max(1).default(0.05),
});

const policyFields = {
  mode: z.enum(scalingModes),
  targetUtilization: z.number().gt(0).max(1),
  intervalSeconds: z.number().int().min(5).max(3600),
  leadTimeSeconds: z.number().int().min(0).max(86_400),
  scaleInStabilizationSeconds: z.number().int().min(0).max(86_400),
  maxScaleInStep: z.number().int().min(1).max(10_000),
  /** The demand's main season; a day unless the workload's rhythm is known to differ. */
  seasonSeconds: z
    .number()
    .int()
    .min(60)
    .max(30 * 86_400),
  configuration: configurationPolicySchema,
};
const countFields = {
  minInstances: z.number().int().min(0).max(10_000),
  maxInstances: z.number().int().min(1).max(10_000),
};

export const policySchema = z.strictObject({
  mode: policyFields.mode.default('forecast-and-scale'),
  targetUtilization: policyFields.targetUtilization.default(0.7),
  intervalSeconds: policyFields.intervalSeconds.default(60),
  leadTimeSeconds: policyFields.leadTimeSeconds.default(300),
  scaleInStabilizationSeconds: policyFields.scaleInStabilizationSeconds.default(300),
  maxScaleInStep: policyFields.maxScaleInStep.default(10),
  seasonSeconds: policyFields.seasonSeconds.default(86_400),
  configuration: policyFields.configuration.prefault({}),
});

/** A change to a running resource set's policy and bounds: any subset, nothing else. */
export const policyPatchSchema = z.strictObject({
  minInstances: countFields.minInstances.optional(),
  maxInstances: countFields.maxInstances.optional(),
  ...(Object.fromEntries(Object.entries(policyFields).map(([k, f]) => [k, f.optional()])) as {
    [K in keyof typeof policyFields]: z.ZodOptional<(typeof policyFields)[K]>;
  }),
});
export type PolicyPatch = z.infer<typeof policyPatchSchema>;

export const sloSchema = z.strictObject({
  latencyP95Ms: z.number().gt(0).max(600_000).default(250),
  errorRate: z.number().min(0).max(1).default(0.01),
  /**
   * Self-calibration's objective. Neither (the default): no more short minutes than the reactive
   * rule at the target utilisation, for less. A budget: the cheapest point within it. A price: the
   * least paid instance-minutes plus this many per short minute.
   */
  maxShortMinutesPct: z.number().min(0).max(100).optional(),
  costOfShortMinute: z.number().min(0).max(1_000_000).optional(),
});

export const resourceSetSpecSchema = z
  .strictObject({
    id: resourceSetIdSchema,
    provider: z.enum(['local', 'aws']),
    providerRef: z.string().min(1).max(255).optional(),
    ...countFields,
    instanceType: z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{0,63}$/, 'must be an instance type name such as local.small or m7g.large')
      .optional(),
    /** The app its instances run (the API checks that it exists); without it, the sample service's. */
    profile: profileRefSchema.optional(),
    policy: policySchema.prefault({}),
    slo: sloSchema.prefault({}),
  })
  .refine((s) => s.maxInstances >= s.minInstances, {
    path: ['maxInstances'],
    message: 'must be at least minInstances',
  });

/** The request body as written by a user (defaults not yet applied). */
export type ResourceSetSpecInput = z.input<typeof resourceSetSpecSchema>;
/** The canonical spec: every default filled in, so two requests meaning the same compare equal. */
export type ResourceSetSpec = z.output<typeof resourceSetSpecSchema>;
export type ScalingPolicy = ResourceSetSpec['policy'];
export type ScalingMode = (typeof scalingModes)[number];
export type ConfigurationPolicy = z.output<typeof configurationPolicySchema>;

/** The instance type a resource set runs when its spec names none. */
export const DEFAULT_INSTANCE_TYPE = { local: 'local.small', aws: 'default' } as const;

export function instanceTypeOf(spec: Pick<ResourceSetSpec, 'instanceType' | 'provider'>): string {
  return spec.instanceType ?? DEFAULT_INSTANCE_TYPE[spec.provider];
}

/** The app profile a set runs: the one it names, else the default. */
export function profileOfSet(spec: Pick<ResourceSetSpec, 'profile'>): ProfileRef {
  return spec.profile ?? { name: DEFAULT_PROFILE_NAME };
}

export function workflowIdFor(resourceSetId: string): string {
  return `resource-set-${resourceSetId}`;
}

/**
 * The spec with a policy patch applied, validated as a whole (so min ≤ max still holds).
 * Throws an Error whose message names each bad field and why.
 */
export function applyPolicyPatch(spec: ResourceSetSpec, patch: PolicyPatch): ResourceSetSpec {
  const parsedPatch = policyPatchSchema.safeParse(patch);
  if (!parsedPatch.success) throw new Error(describeIssues(parsedPatch.error));
  const { minInstances, maxInstances, ...policy } = parsedPatch.data;
  const merged = {
    ...spec,
    ...(minInstances !== undefined ? { minInstances } : {}),
    ...(maxInstances !== undefined ? { maxInstances } : {}),
    policy: { ...spec.policy, ...Object.fromEntries(Object.entries(policy).filter(([, v]) => v !== undefined)) },
  };
  const result = resourceSetSpecSchema.safeParse(merged);
  if (!result.success) throw new Error(describeIssues(result.error));
  return result.data;
}

/** "maxInstances: must be at least minInstances; policy.mode: …" */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.map(String).join('.') || '(body)'}: ${i.message}`).join('; ');
}
