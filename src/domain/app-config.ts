import { z } from 'zod';

/**
 * The configuration an agent applies to its app in place (no restart). `version` is the
 * idempotency key: applying the same version twice is a no-op. Instance type and software image are
 * not here: changing those replaces the instance.
 */
export const appConfigSchema = z.strictObject({
  version: z.number().int().min(1),
  params: z.strictObject({
    /** Worker pool ("thread pool") size: requests served concurrently. */
    poolSize: z.number().int().min(1).max(512),
    /** Cache entries; a bigger cache hits more often, and a hit is served faster. */
    cacheSize: z.number().int().min(0).max(1_000_000),
    /** Requests allowed to wait for a worker; beyond this the app answers 503. */
    queueLimit: z.number().int().min(0).max(100_000),
  }),
});

export type AppConfig = z.infer<typeof appConfigSchema>;

/**
 * Small on purpose: about 75 requests/s per local.small instance (2 workers, ~26 ms mean service
 * time at a 40% cache hit rate), so a demo fleet of several instances fits on a 2-core machine.
 */
export const DEFAULT_APP_CONFIG: AppConfig = { version: 1, params: { poolSize: 2, cacheSize: 100, queueLimit: 32 } };
