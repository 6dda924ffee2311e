import net from 'node:net';
import path from 'node:path';
import { z } from 'zod';

const port = z.coerce
  .number({ error: 'must be a port number 1..65535' })
  .int('must be an integer')
  .min(1, 'must be 1..65535')
  .max(65535, 'must be 1..65535');
const NAMED_PROXY_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);
const proxyAddress = (entry: string): boolean => {
  if (NAMED_PROXY_RANGES.has(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = net.isIP(address);
  return (
    family !== 0 &&
    rest.length === 0 &&
    (prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128)))
  );
};
/** Express's 'trust proxy': how many proxies, or which addresses, may say who the client is (X-Forwarded-For). */
const trustProxy = z.string().transform((value, ctx) => {
  if (value === 'true' || value === 'false') return value === 'true';
  if (/^\d{1,2}$/.test(value)) return Number(value);
  const entries = value.split(',').map((e) => e.trim());
  if (entries.every(proxyAddress)) return entries;
  ctx.addIssue({
    code: 'custom',
    message:
      'must be the number of proxies in front of the API, their addresses or subnets (e.g. 10.0.0.0/8,loopback), or true',
  });
  return z.NEVER;
});

const bool = z
  .enum(['true', 'false', '1', '0'], { message: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1');

/**
 * Every setting Prescale reads from its environment, with its default. Unset or empty means
 * "use the embedded default" for TEMPORAL_ADDRESS, DATABASE_URL and S3_*.
 * The README's configuration table is written from this list.
 */
export const configSchema = z.object({
  PRESCALE_DATA_DIR: z.string().min(1).default('.prescale'),
  /** Loopback by default: nothing else on the network reaches the API unless asked. */
  HOST: z
    .string()
    .regex(
      /^([\w-]+(\.[\w-]+)*|[0-9a-fA-F:.]*:[0-9a-fA-F:.]*)$/,
      'must be an address or host name to listen on, e.g. 127.0.0.1, :: or 0.0.0.0',
    )
    .default('127.0.0.1'),
  PORT: port.default(3000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TEMPORAL_ADDRESS: z
    .string()
    .regex(/^[^\s:/]+:\d+$/, 'must be host:port')
    .optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  PGLITE_PORT: port.default(5532),
  S3_ENDPOINT: z.url({ message: 'must be a URL such as http://127.0.0.1:9000' }).optional(),
  S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a valid bucket name')
    .optional(),
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_FORCE_PATH_STYLE: bool.default(true),
  PRESCALE_AGENT_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  LOCAL_CLOUD_URL: z.url({ message: 'must be a URL such as http://127.0.0.1:3200' }).optional(),
  LOCAL_CLOUD_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  LOCAL_CLOUD_PORT: port.default(3200),
  LOCAL_LB_PORT: port.default(8080),
  PRESCALE_DEMO: bool.default(true),
  SHUTDOWN_DEADLINE_SECONDS: z.coerce.number({ error: 'must be a number of seconds' }).min(1).max(600).default(20),
  LOCAL_BOOT_DELAY_SECONDS: z.coerce.number({ error: 'must be a number of seconds' }).min(0).max(3600).default(20),
  OIDC_ISSUER: z.url({ message: 'must be the issuer URL, e.g. https://login.example.com/' }).optional(),
  OIDC_AUDIENCE: z.string().min(1).optional(),
  OIDC_JWKS_URL: z.url({ message: 'must be a URL such as https://login.example.com/.well-known/jwks.json' }).optional(),
  OIDC_ROLE_CLAIM: z.string().min(1).default('prescale_role'),
  OIDC_SCOPES_CLAIM: z.string().min(1).default('prescale_resource_sets'),
  RATE_LIMIT_PER_SECOND: z.coerce.number({ error: 'must be a number of requests per second' }).min(0).default(50),
  RATE_LIMIT_BURST: z.coerce.number({ error: 'must be a number of requests' }).int().min(1).default(100),
  RESOURCE_SET_WRITES_PER_SECOND: z.coerce
    .number({ error: 'must be a number of requests per second' })
    .min(0)
    .default(5),
  RESOURCE_SET_WRITES_BURST: z.coerce.number({ error: 'must be a number of requests' }).int().min(1).default(20),
  TEMPORAL_REQUEST_TIMEOUT_SECONDS: z.coerce
    .number({ error: 'must be a number of seconds' })
    .min(1)
    .max(300)
    .default(10),
  CORS_ORIGINS: z
    .string()
    .regex(
      /^https?:\/\/[^\s,]+(,https?:\/\/[^\s,]+)*$/,
      'must be a comma-separated list of origins such as https://dash.example.com',
    )
    .optional(),
  METRICS_PUBLIC: bool.default(false),
  TRUST_PROXY: trustProxy.default(false),
  WORKER_METRICS_PORT: port.optional(),
  FORECAST_CACHE_SERIES: z.coerce
    .number({ error: 'must be a number of resource sets' })
    .int()
    .min(1)
    .max(1_000_000)
    .default(1024),
  WORKFLOW_CACHE_SIZE: z.coerce
    .number({ error: 'must be a number of workflows' })
    .int()
    .min(1)
    .max(1_000_000)
    .optional(),
  TEMPORAL_TLS: bool.default(false),
  TEMPORAL_TLS_CA: z.string().min(1).optional(),
  TEMPORAL_TLS_CERT: z.string().min(1).optional(),
  TEMPORAL_TLS_KEY: z.string().min(1).optional(),
  TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),
});

type RawConfig = z.infer<typeof configSchema>;

export interface Config extends RawConfig {
  /** Absolute data directory. */
  dataDir: string;
}

/** Where a process on this machine reaches a server listening on `host`: the loopback for a wildcard. */
export function localUrl(host: string, port: number): string {
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    reason: string,
    value: unknown,
  ) {
    super(`${variable}: ${reason} (got ${JSON.stringify(value)})`);
    this.name = 'ConfigError';
  }
}

/** Reads the configuration; a bad value throws a ConfigError naming the variable and why. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings mean unset, the way shells and compose files usually write "no value".
  const present = Object.fromEntries(Object.keys(configSchema.shape).flatMap((k) => (env[k] ? [[k, env[k]]] : [])));
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
