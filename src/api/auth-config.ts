import type { OidcOptions } from '../auth/oidc.js';
import { ConfigError, type Config } from '../config.js';

/** The API's security settings; every field has a safe default (see `apiSecurity`). */
export interface ApiSecurity {
  /** Accept OIDC JWTs besides API keys. */
  oidc?: OidcOptions | undefined;
  /** Token bucket per principal (per client address for anonymous requests); perSecond 0 turns it off. */
  rateLimit: { perSecond: number; burst: number };
  /**
   * Token bucket per resource set for the writes that reach its loop (signals and updates), whoever
   * sends them: a storm on one set is refused before it queues at the workflow; perSecond 0 turns it off.
   */
  resourceSetWrites: { perSecond: number; burst: number };
  /**
   * How long one request may wait on Temporal, all its calls together: an overloaded server gets a
   * quick 503 with retry-after rather than requests held until the caller gives up.
   */
  temporalTimeoutSeconds: number;
  /** Origins allowed to call the API from a browser; empty means no CORS headers at all. */
  corsOrigins: string[];
  /** Serve /metrics without a key, for a Prometheus scraper on a trusted network. */
  metricsPublic: boolean;
  /**
   * Express's 'trust proxy': which proxies may name the client (X-Forwarded-For), so that behind a
   * load balancer anonymous callers are limited per client address, not all as the balancer's.
   */
  trustProxy: boolean | number | string[];
}

export const defaultApiSecurity: ApiSecurity = {
  rateLimit: { perSecond: 50, burst: 100 },
  resourceSetWrites: { perSecond: 5, burst: 20 },
  temporalTimeoutSeconds: 10,
  corsOrigins: [],
  metricsPublic: false,
  trustProxy: false,
};

const OIDC_VARIABLES = ['OIDC_ISSUER', 'OIDC_AUDIENCE', 'OIDC_JWKS_URL'] as const;

export function apiSecurity(config: Config): ApiSecurity {
  const set = OIDC_VARIABLES.filter((v) => config[v]);
  if (set.length > 0 && set.length < OIDC_VARIABLES.length) {
    const missing = OIDC_VARIABLES.find((v) => !config[v])!;
    throw new ConfigError(missing, `must be set together with ${OIDC_VARIABLES.join(', ')}`, undefined);
  }
  return {
    ...(config.OIDC_ISSUER && config.OIDC_AUDIENCE && config.OIDC_JWKS_URL
      ? {
          oidc: {
            issuer: config.OIDC_ISSUER,
            audience: config.OIDC_AUDIENCE,
            jwksUrl: config.OIDC_JWKS_URL,
            roleClaim: config.OIDC_ROLE_CLAIM,
            scopesClaim: config.OIDC_SCOPES_CLAIM,
          },
        }
      : {}),
    rateLimit: { perSecond: config.RATE_LIMIT_PER_SECOND, burst: config.RATE_LIMIT_BURST },
    resourceSetWrites: { perSecond: config.RESOURCE_SET_WRITES_PER_SECOND, burst: config.RESOURCE_SET_WRITES_BURST },
    temporalTimeoutSeconds: config.TEMPORAL_REQUEST_TIMEOUT_SECONDS,
    corsOrigins: config.CORS_ORIGINS?.split(',') ?? [],
    metricsPublic: config.METRICS_PUBLIC,
    trustProxy: config.TRUST_PROXY,
  };
}
