import { z } from 'zod';
import { appConfigSchema, type AppConfig } from '../domain/app-config.js';

/**
 * The instance's memory bounds the cache: a bigger instance type (higher speed) has proportionally
 * more memory, as cloud instance families do. A configuration that does not fit is refused, so a
 * rollout can fail on a real app-side rejection and not only on an unreachable app.
 */
export const MAX_CACHE_ENTRIES_PER_SPEED = 250_000;

/** `version` is optional: a reload without one runs an unversioned configuration. */
export const reloadBodySchema = z.strictObject({
  params: appConfigSchema.shape.params,
  version: appConfigSchema.shape.version.optional(),
});

/** The configuration in effect; `version` is null after an unversioned reload. */
export interface RunningConfig {
  version: number | null;
  params: AppConfig['params'];
}

/** Why `params` do not fit an instance of this speed, or null when they do. */
export function capacityProblem(params: AppConfig['params'], speed: number): string | null {
  const limit = Math.floor(MAX_CACHE_ENTRIES_PER_SPEED * speed);
  return params.cacheSize > limit ? `params.cacheSize: ${params.cacheSize} entries do not fit this instance's memory (at most ${limit})` : null;
}
