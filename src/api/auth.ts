import type { Request, RequestHandler } from 'express';
import { looksLikeApiKey, parseApiKey, secretMatches } from '../auth/api-key.js';
import { authorize } from '../auth/authorize.js';
import { OidcUnavailableError, type OidcVerifier } from '../auth/oidc.js';
import type { Principal } from '../auth/principal.js';
import { agentTokenInstance } from '../domain/agent-token.js';
import type { apiMetrics } from '../observability/metrics.js';
import { activeKeySecret } from '../store/api-keys.js';
import type { Db } from '../store/db.js';
import { HttpError } from '../infra/http-error.js';
import type { RateLimiter } from './rate-limit.js';
import type { Route } from './route.js';

export type Authenticate = (token: string) => Promise<Principal | undefined>;

/**
 * Resolves a bearer token to whoever holds it: an API key (looked up on every request, so a
 * revocation takes effect at once), an OIDC JWT when configured, or an instance's agent token.
 */
export function authenticator(deps: { db: Db; agentSecret: string; oidc?: OidcVerifier | undefined }): Authenticate {
  return async (token) => {
    if (looksLikeApiKey(token)) {
      const parsed = parseApiKey(token);
      const stored = parsed && (await activeKeySecret(deps.db, parsed.id));
      if (!parsed || !stored || !secretMatches(stored, parsed.secret)) return undefined;
      return { kind: 'key', id: parsed.id, role: stored.role, ...(stored.scopes ? { scopes: stored.scopes } : {}) };
    }
    const oidc = await deps.oidc?.(token);
    if (oidc) return oidc;
    const instance = agentTokenInstance(deps.agentSecret, token);
    return instance ? { kind: 'agent', id: instance } : undefined;
  };
}

const MAX_TOKEN_LENGTH = 8_192;

/** The token of an `Authorization: Bearer <token>` header; undefined when absent, malformed or too long. */
export function bearerToken(req: Request): string | undefined {
  const token = /^Bearer +(\S+) *$/i.exec(req.get('authorization') ?? '')?.[1];
  return token && token.length <= MAX_TOKEN_LENGTH ? token : undefined;
}

/** The principal a guard admitted; handlers may narrow what they answer with it. */
export const principalOf = (req: Request): Principal | undefined => req.res?.locals.principal as Principal | undefined;

const REALM = 'Bearer realm="prescale"';

/**
 * The middleware in front of every route: who is calling (401 if nobody or an invalid token),
 * how often (429 per principal, per client address when anonymous), and whether the route
 * allows them (403; 404 for a resource set outside a scoped key's sets).
 */
export function guard(deps: {
  authenticate: Authenticate;
  limiter: RateLimiter;
  metrics: ReturnType<typeof apiMetrics>;
}): (r: Route) => RequestHandler {
  return (route) => async (req, res, next) => {
    const token = route.role === 'public' ? undefined : bearerToken(req);
    const principal = token
      ? await deps.authenticate(token).catch((err: unknown) => {
          if (err instanceof OidcUnavailableError)
            throw new HttpError(
              503,
              'identity_provider_unavailable',
              'the OIDC provider is unreachable; try again shortly',
            );
          throw err;
        })
      : undefined;
    if (principal) res.locals.principal = principal;

    // Anonymous callers by address: behind a load balancer that is the client's only with 'trust proxy' set.
    const wait = route.unlimited
      ? 0
      : deps.limiter.take(principal ? `${principal.kind}:${principal.id}` : `ip:${req.ip ?? ''}`);
    if (wait > 0) {
      deps.metrics.rateLimited.inc({ kind: principal?.kind ?? 'anonymous' });
      throw new HttpError(429, 'rate_limited', `too many requests; retry after ${wait} s`, undefined, {
        'retry-after': String(wait),
      });
    }

    const verdict = authorize(route, principal, req.params);
    if (verdict.allow) {
      next();
      return;
    }
    const invalid = verdict.status === 401 && req.get('authorization') !== undefined;
    deps.metrics.authFailures.inc({ status: String(verdict.status), reason: invalid ? 'invalid_token' : verdict.code });
    if (verdict.status === 401) res.set('www-authenticate', invalid ? `${REALM}, error="invalid_token"` : REALM);
    if (invalid)
      throw new HttpError(401, 'invalid_token', 'the bearer token is not a valid API key, OIDC token or agent token');
    throw new HttpError(
      verdict.status,
      verdict.code,
      verdict.message,
      verdict.status === 403 ? { requiredRole: route.role } : undefined,
    );
  };
}
