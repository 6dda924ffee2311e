import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Principal } from '../auth/principal.js';
import { canonicalJson } from '../domain/canonical-json.js';
import { HttpError } from '../infra/http-error.js';
import type { Logger } from '../logger.js';
import type { Db } from '../store/db.js';
import { claimIdempotencyKey, releaseIdempotencyKey, storeIdempotentResponse } from '../store/idempotency-keys.js';
import type { Route, RouteResult } from './route.js';

const KEY = /^[\x21-\x7e]{1,255}$/;

/** What tells two requests to one route apart: their query and body, whatever their key order. */
export const requestHash = (query: unknown, body: unknown): string =>
  createHash('sha256').update(canonicalJson({ query, body })).digest('hex');

/**
 * Idempotency-Key on every write: the first request with a key runs and, when it succeeds, its
 * answer is kept 24 h per caller and key; a retry with the same route and body gets that answer
 * (idempotent-replayed: true) without running again. A failed request frees its key.
 */
export function idempotentWrites(
  db: Db,
): (r: Route, req: Request, res: Response, handle: () => Promise<RouteResult>) => Promise<RouteResult> {
  return async (r, req, res, handle) => {
    const key = req.get('idempotency-key');
    if (r.method === 'get' || key === undefined) return handle();
    if (!KEY.test(key))
      throw new HttpError(400, 'invalid_request', 'Idempotency-Key: must be 1 to 255 visible ASCII characters');
    const principal = res.locals.principal as Principal | undefined;
    const owner = { principal: principal ? `${principal.kind}:${principal.id}` : 'anonymous', key };
    const route = `${r.method.toUpperCase()} ${req.path}`;
    const claim = await claimIdempotencyKey(db, { ...owner, route, bodyHash: requestHash(req.query, req.body) });
    if (claim.outcome === 'mismatch') {
      throw new HttpError(
        422,
        'idempotency_key_reused',
        `Idempotency-Key "${key}" was used for ${claim.route === route ? 'this route with another body' : claim.route}; send a new key for a new request`,
      );
    }
    if (claim.outcome === 'in-flight') {
      throw new HttpError(
        409,
        'idempotency_key_in_flight',
        `a request with Idempotency-Key "${key}" is still running; retry after 1 s`,
        undefined,
        { 'retry-after': '1' },
      );
    }
    if (claim.outcome === 'replay') {
      return {
        status: claim.status,
        ...claim.response,
        headers: { ...claim.response.headers, 'idempotent-replayed': 'true' },
      };
    }
    let result: RouteResult;
    try {
      result = await handle();
    } catch (err) {
      await releaseIdempotencyKey(db, owner).catch((e: unknown) =>
        (res.locals.log as Logger).error({ err: e }, 'could not release an idempotency key'),
      );
      throw err;
    }
    if (result.status >= 300) await releaseIdempotencyKey(db, owner);
    // Stored before it is sent: a retry after the answer arrived never finds the key still running.
    else
      await storeIdempotentResponse(db, owner, result.status, {
        body: result.body,
        ...(result.contentType ? { contentType: result.contentType } : {}),
        ...(result.headers ? { headers: result.headers } : {}),
      });
    return result;
  };
}
