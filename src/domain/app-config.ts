import { z } from 'zod';

/** A parameter value as a template sets it; which names and ranges an app takes is its profile's to say. */
export const paramValueSchema = z.union([z.number().finite(), z.string().max(10_000), z.boolean()]);
export const paramsSchema = z.record(z.string().min(1).max(64), paramValueSchema);

/**
 * The configuration an agent applies to its app in place (no restart). `version` is the
 * idempotency key: applying the same version twice is a no-op. Instance type and software image are
 * not here: changing those replaces the instance. The parameters were validated against the app's
 * profile when their template version was made.
 */
export const appConfigSchema = z.strictObject({
  version: z.number().int().min(1),
  params: paramsSchema,
});

export type AppConfig = z.infer<typeof appConfigSchema>;

/** The same names with the same values, in whatever order: an app reports its parameters in its own. */
export function sameParams(a: AppConfig['params'], b: AppConfig['params']): boolean {
  const names = Object.keys(a);
  return names.length === Object.keys(b).length && names.every((name) => Object.hasOwn(b, name) && a[name] === b[name]);
}
