import { z } from 'zod';

/**
 * An app profile describes one application to Prescale: the parameters a template may set, the
 * software it runs, how to tell it is healthy and how its configuration reaches it. Templates are
 * validated against it; nothing else in the engine knows what an app's parameters are called.
 * Pure: no I/O, so the workflow bundle may import it.
 */

/** Profile and parameter names end up in URLs, object keys and environment variables. */
export const profileNameSchema = z
  .string()
  .regex(
    /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/,
    'must be 1-63 lowercase letters, digits or "-", starting and ending with a letter or digit',
  );
const PARAMETER_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** The profile every resource set and template uses when it names none: the shipped example app. */
export const DEFAULT_PROFILE_NAME = 'sample-service';

/** How a changed value takes effect: in place, or only once the app restarts. */
const applySchema = z.enum(['hot', 'restart']).default('hot');
const common = {
  description: z.string().max(500).optional(),
  apply: applySchema,
  /**
   * Whether the tuner may search this parameter. Numeric parameters with both bounds are searched
   * unless this says false; a boolean or an enum only when it says true (a switch is often a
   * feature, not a knob).
   */
  tunable: z.boolean().optional(),
};

const regexSource = z
  .string()
  .min(1)
  .max(500)
  .refine((source) => {
    try {
      new RegExp(source, 'u');
      return true;
    } catch {
      return false;
    }
  }, 'must be a valid regular expression');

const finite = z.number().finite();
const numericParameter = <T extends 'integer' | 'number'>(type: T) =>
  z.strictObject({
    type: z.literal(type),
    ...common,
    minimum: (type === 'integer' ? z.number().int() : finite).optional(),
    maximum: (type === 'integer' ? z.number().int() : finite).optional(),
    default: (type === 'integer' ? z.number().int() : finite).optional(),
    /**
     * The bound grows with the instance: at most this many per unit of the instance type's capacity
     * (a cache that must fit in memory, say). Checked only where the provider knows the capacity.
     */
    maximumPerCapacity: z.number().positive().optional(),
    /**
     * How the tuner spaces its trials over the range: 'log' for a size whose effect goes by ratios
     * (100 → 1,000 entries as big a move as 10,000 → 100,000); default 'linear'.
     */
    scale: z.enum(['linear', 'log']).optional(),
  });

export const parameterSchema = z
  .discriminatedUnion('type', [
    numericParameter('integer'),
    numericParameter('number'),
    z.strictObject({ type: z.literal('boolean'), ...common, default: z.boolean().optional() }),
    z.strictObject({
      type: z.literal('string'),
      ...common,
      /** The allowed values (JSON Schema's enum). */
      enum: z.array(z.string().max(200)).min(1).max(100).optional(),
      pattern: regexSource.optional(),
      maxLength: z.number().int().min(1).max(10_000).optional(),
      default: z.string().max(10_000).optional(),
    }),
  ])
  .superRefine((p, ctx) => {
    if (
      (p.type === 'integer' || p.type === 'number') &&
      p.minimum !== undefined &&
      p.maximum !== undefined &&
      p.minimum > p.maximum
    ) {
      ctx.addIssue({ code: 'custom', path: ['maximum'], message: `must be at least minimum (${p.minimum})` });
    }
    if (
      p.tunable === true &&
      (p.type === 'integer' || p.type === 'number') &&
      !(p.minimum !== undefined && p.maximum !== undefined)
    )
      ctx.addIssue({ code: 'custom', path: ['tunable'], message: 'a tunable number needs a minimum and a maximum' });
    if (p.tunable === true && p.type === 'string' && p.enum === undefined)
      ctx.addIssue({ code: 'custom', path: ['tunable'], message: 'a tunable string needs an enum' });
    if ((p.type === 'integer' || p.type === 'number') && p.scale === 'log' && p.minimum !== undefined && p.minimum < 0)
      ctx.addIssue({ code: 'custom', path: ['scale'], message: 'a log scale needs a minimum of at least 0' });
    if (p.default === undefined) return;
    // The default must itself be a value the parameter accepts.
    const problem = valueSchemaOf(p).safeParse(p.default);
    if (!problem.success)
      ctx.addIssue({
        code: 'custom',
        path: ['default'],
        message: problem.error.issues[0]?.message ?? 'is not a valid value',
      });
  });
export type ParameterSpec = z.output<typeof parameterSchema>;

/** The software an app runs: free-form references (an image, an artifact URL, a tag). */
const softwareSchema = z.strictObject({
  description: z.string().max(500).optional(),
  /** A template's softwareVersion must match it, whole. */
  pattern: regexSource.optional(),
  /** When given, a template's softwareVersion is a tag of this repository: the image is `repository:tag`. */
  repository: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._/:-]{0,254}$/, 'must be an image repository such as ghcr.io/acme/shop')
    .optional(),
});

const port = z.number().int().min(1).max(65_535);
const instancePath = z
  .string()
  .regex(/^\/[^\s]*$/, 'must be a path on the instance, starting with "/"')
  .max(500);

const healthCheckSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('http'), path: instancePath, port: port.optional() }),
  z.strictObject({ type: z.literal('none') }),
]);

const filePath = z
  .string()
  .regex(/^\/[^\0]*$/, 'must be an absolute file path')
  .max(1000);
const reloadSignals = ['SIGHUP', 'SIGUSR1', 'SIGUSR2', 'SIGTERM'] as const;
const reloadSchema = z.union(
  [
    z.strictObject({ signal: z.enum(reloadSignals).default('SIGHUP'), pidFile: filePath }),
    /** Argv, run without a shell; exit 0 is success. */
    z.strictObject({ command: z.array(z.string().min(1).max(1000)).min(1).max(50) }),
  ],
  {
    error: `must be { signal, pidFile } with signal one of ${reloadSignals.join(', ')}, or { command: [program, ...args] }`,
  },
);

/** How the agent hands the app a configuration. */
export const configDeliverySchema = z.discriminatedUnion('method', [
  /** PUT the parameters as JSON to the instance; success is a 2xx. */
  z
    .strictObject({
      method: z.literal('http'),
      url: z.url().optional(),
      path: instancePath.optional(),
      port: port.optional(),
    })
    .refine((d) => (d.url === undefined) !== (d.path === undefined), {
      path: ['path'],
      message: 'give either url or path (on the instance), not both',
    }),
  /** Written atomically to a file, then a signal or a command tells the app to reload it. */
  z.strictObject({
    method: z.literal('file'),
    path: filePath,
    format: z.enum(['json', 'yaml', 'env']),
    reload: reloadSchema.optional(),
  }),
  /** Replace the instance with one started on the new configuration. */
  z.strictObject({ method: z.literal('restart') }),
]);

export const appProfileSchema = z.strictObject({
  description: z.string().max(2000).optional(),
  parameters: z.record(z.string(), parameterSchema).superRefine((parameters, ctx) => {
    const names = Object.keys(parameters);
    if (names.length > 200) ctx.addIssue({ code: 'custom', message: 'at most 200 parameters' });
    for (const name of names.filter((n) => !PARAMETER_NAME.test(n))) {
      ctx.addIssue({
        code: 'custom',
        path: [name],
        message: 'a parameter name must be a letter or "_" followed by up to 63 letters, digits or "_"',
      });
    }
  }),
  software: softwareSchema.prefault({}),
  healthCheck: healthCheckSchema.prefault({ type: 'none' }),
  config: configDeliverySchema,
});

export type AppProfileInput = z.input<typeof appProfileSchema>;
export type AppProfile = z.output<typeof appProfileSchema>;

/** A profile as a template or a resource set names it; without a version, the latest. */
export const profileRefSchema = z.strictObject({
  name: profileNameSchema,
  version: z.number().int().min(1).max(2_147_483_647).optional(),
});
export type ProfileRef = z.output<typeof profileRefSchema>;

/** A parameter value, as a template sets it and the agent hands it on. */
export type ParamValue = number | string | boolean;
export type Params = Record<string, ParamValue>;

function valueSchemaOf(p: ParameterSpec, capacity?: number): z.ZodType<ParamValue> {
  switch (p.type) {
    case 'integer':
    case 'number': {
      let s = p.type === 'integer' ? z.number().int() : z.number().finite();
      if (p.minimum !== undefined) s = s.min(p.minimum);
      if (p.maximum !== undefined) s = s.max(p.maximum);
      if (p.maximumPerCapacity !== undefined && capacity !== undefined) {
        const limit = Math.floor(p.maximumPerCapacity * capacity);
        return s.refine((v) => v <= limit, { message: `does not fit this instance type (at most ${limit})` });
      }
      return s;
    }
    case 'boolean':
      return z.boolean();
    case 'string': {
      if (p.enum) return z.enum(p.enum as [string, ...string[]]);
      let s = z.string();
      if (p.maxLength !== undefined) s = s.max(p.maxLength);
      if (p.pattern !== undefined) s = s.regex(new RegExp(`^(?:${p.pattern})$`, 'u'), `must match ${p.pattern}`);
      return s;
    }
  }
}

/**
 * The schema of a template's `params` under this profile: every name known, each value of its
 * type and range; a parameter with a default may be left out and takes it. `capacity` is the
 * instance type's capacity when known, for bounds that grow with it.
 */
export function paramsSchemaOf(profile: AppProfile, capacity?: number): z.ZodType<Params> {
  const shape = Object.fromEntries(
    Object.entries(profile.parameters).map(([name, p]) => {
      const value = valueSchemaOf(p, capacity);
      return [name, p.default === undefined ? value : value.default(p.default)];
    }),
  );
  return z.strictObject(shape);
}

/** The value of every parameter that has a default. */
export function defaultParamsOf(profile: AppProfile): Params {
  return Object.fromEntries(
    Object.entries(profile.parameters).flatMap(([name, p]) => (p.default === undefined ? [] : [[name, p.default]])),
  );
}

/** Why `reference` is not a software version of the profile, or null when it is one. */
export function softwareProblem(profile: AppProfile, reference: string): string | null {
  const { pattern } = profile.software;
  if (pattern === undefined || new RegExp(`^(?:${pattern})$`, 'u').test(reference)) return null;
  return `"${reference}" is not a software version of this app: must match ${pattern}`;
}

/** What an instance runs for a software version: the reference itself, or a tag of the repository. */
export function imageOf(profile: AppProfile, reference: string): string {
  return profile.software.repository === undefined ? reference : `${profile.software.repository}:${reference}`;
}

/** Parameters whose change takes effect only on a restart. */
export function restartParameters(profile: AppProfile): string[] {
  return Object.entries(profile.parameters)
    .filter(([, p]) => p.apply === 'restart')
    .map(([name]) => name);
}
