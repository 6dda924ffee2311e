import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import { ROLES, isRole, type Principal, type Role } from './principal.js';

export interface OidcOptions {
  issuer: string;
  audience: string;
  jwksUrl: string;
  /** The claim holding the Prescale role: a role name, or a list of them (the strongest counts). */
  roleClaim: string;
  /** The claim holding the resource sets the identity is confined to (a list); absent means all. */
  scopesClaim: string;
}

/** The identity provider could not be asked (JWKS unreachable): neither yes nor no. */
export class OidcUnavailableError extends Error {
  override name = 'OidcUnavailableError';
}

/** The provider's public keys are fetched once and refetched only for an unknown key id. */
export type OidcVerifier = (token: string) => Promise<Principal | undefined>;

const looksLikeJwt = (token: string): boolean => /^eyJ[\w-]*\.[\w-]+\.[\w-]+$/.test(token);

function roleOf(claim: unknown): Role | undefined {
  const claimed = (Array.isArray(claim) ? claim : [claim]).filter(isRole);
  return [...ROLES].reverse().find((r) => claimed.includes(r));
}

function scopesOf(claim: unknown): string[] | undefined {
  return Array.isArray(claim) ? claim.filter((s): s is string => typeof s === 'string') : undefined;
}

export function oidcVerifier(options: OidcOptions): OidcVerifier {
  const keys = createRemoteJWKSet(new URL(options.jwksUrl), { timeoutDuration: 5_000, cooldownDuration: 30_000 });
  return async (token) => {
    if (!looksLikeJwt(token)) return undefined;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: options.issuer,
        audience: options.audience,
        clockTolerance: 30,
        requiredClaims: ['sub', 'exp'],
      }));
    } catch (err) {
      // A timeout, a network error or a bad JWKS response (jose's generic error) says nothing
      // about the token; any other JOSE error is the token's fault.
      const providerFault =
        err instanceof errors.JWKSTimeout || !(err instanceof errors.JOSEError) || err.code === 'ERR_JOSE_GENERIC';
      if (providerFault) {
        throw new OidcUnavailableError(
          `the identity provider's keys (${options.jwksUrl}) could not be fetched: ${(err as Error).message}`,
          { cause: err },
        );
      }
      return undefined;
    }
    const role = roleOf(payload[options.roleClaim]);
    const scopes = scopesOf(payload[options.scopesClaim]);
    return { kind: 'oidc', id: `oidc:${payload.sub}`, ...(role ? { role } : {}), ...(scopes ? { scopes } : {}) };
  };
}
