import { z } from 'zod';
import { appConfigSchema } from '../domain/app-config.js';

/** The sample service's parameters (its profile, deploy/profiles/sample-service.json, says the same to Prescale). */
export const sampleParamsSchema = z.strictObject({
  /** Worker pool ("thread pool") size: requests served concurrently. */
  poolSize: z.number().int().min(1).max(512),
  /** Cache entries; a bigger cache hits more often, and a hit is served faster. */
  cacheSize: z.number().int().min(0).max(1_000_000),
  /** Requests allowed to wait for a worker; beyond this the app answers 503. */
  queueLimit: z.number().int().min(0).max(100_000),
});
export type SampleParams = z.infer<typeof sampleParamsSchema>;

/** The sample service's configuration: the generic one with its own parameters. */
export const sampleConfigSchema = z.strictObject({
  version: appConfigSchema.shape.version,
  params: sampleParamsSchema,
});
export type SampleConfig = z.infer<typeof sampleConfigSchema>;

/** How its agent hands it a configuration: its profile's `config` section, which the local cloud passes to each agent. */
export const SAMPLE_CONFIG_DELIVERY = { method: 'http', path: '/reload' } as const;

/**
 * Small on purpose: about 75 requests/s per local.small instance (2 workers, ~26 ms mean service
 * time at a 40% cache hit rate), so a demo fleet of several instances fits on a 2-core machine.
 */
export const DEFAULT_APP_CONFIG: SampleConfig = { version: 1, params: { poolSize: 2, cacheSize: 100, queueLimit: 32 } };

/**
 * The instance's memory bounds the cache: a bigger instance type (higher speed) has proportionally
 * more memory, as cloud instance families do. A configuration that does not fit is refused, so a
 * rollout can fail on a real app-side rejection and not only on an unreachable app.
 */
export const MAX_CACHE_ENTRIES_PER_SPEED = 250_000;

/** `version` is optional: a reload without one runs an unversioned configuration. */
export const reloadBodySchema = z.strictObject({
  params: sampleParamsSchema,
  version: appConfigSchema.shape.version.optional(),
});

/** The configuration in effect; `version` is null after an unversioned reload. */
export interface RunningConfig {
  version: number | null;
  params: SampleParams;
}

/** Why `params` do not fit an instance of this speed, or null when they do. */
export function capacityProblem(params: SampleParams, speed: number): string | null {
  const limit = Math.floor(MAX_CACHE_ENTRIES_PER_SPEED * speed);
  return params.cacheSize > limit
    ? `params.cacheSize: ${params.cacheSize} entries do not fit this instance's memory (at most ${limit})`
    : null;
}
