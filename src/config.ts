import path from 'node:path';
import { z } from 'zod';

const port = z.coerce.number({ error: 'must be a port number 1..65535' }).int('must be an integer').min(1, 'must be 1..65535').max(65535, 'must be 1..65535');
const bool = z.enum(['true', 'false', '1', '0'], { message: 'must be true or false' }).transform((v) => v === 'true' || v === '1');

/**
 * Every setting Prescale reads from its environment, with its default. Unset or empty means
 * "use the embedded default" for TEMPORAL_ADDRESS, DATABASE_URL and S3_*.
 * The README's configuration table is written from this list.
 */
export const configSchema = z.object({
  PRESCALE_DATA_DIR: z.string().min(1).default('.prescale'),
  PORT: port.default(3000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TEMPORAL_ADDRESS: z.string().regex(/^[^\s:/]+:\d+$/, 'must be host:port').optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(),
  PGLITE_PORT: port.default(5532),
  S3_ENDPOINT: z.url({ message: 'must be a URL such as http://127.0.0.1:9000' }).optional(),
  S3_BUCKET: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a valid bucket name').optional(),
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_FORCE_PATH_STYLE: bool.default(true),
});

type RawConfig = z.infer<typeof configSchema>;

export interface Config extends RawConfig {
  /** Absolute data directory. */
  dataDir: string;
}

export class ConfigError extends Error {
  constructor(readonly variable: string, reason: string, value: unknown) {
    super(`${variable}: ${reason} (got ${JSON.stringify(value)})`);
    this.name = 'ConfigError';
  }
}

export const TASK_QUEUES = { main: 'prescale-main', forecast: 'prescale-forecast' } as const;

/** Reads the configuration; a bad value throws a ConfigError naming the variable and why. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings mean unset, the way shells and compose files usually write "no value".
  const present = Object.fromEntries(
    Object.keys(configSchema.shape).flatMap((k) => (env[k] ? [[k, env[k]]] : [])),
  );
  const parsed = configSchema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const variable = String(issue.path[0]);
    throw new ConfigError(variable, issue.message, present[variable]);
  }
  const config = parsed.data;
  if (Boolean(config.S3_ENDPOINT) !== Boolean(config.S3_BUCKET)) {
    const missing = config.S3_ENDPOINT ? 'S3_BUCKET' : 'S3_ENDPOINT';
    throw new ConfigError(missing, 'must be set together with S3_ENDPOINT and S3_BUCKET', undefined);
  }
  return { ...config, dataDir: path.resolve(config.PRESCALE_DATA_DIR) };
}
