import type { RequestHandler } from 'express';
import type { Principal } from '../auth/principal.js';
import type { Logger } from '../logger.js';
import { appendAudit } from '../store/audit.js';
import type { Db } from '../store/db.js';
import type { Route } from './route.js';

const MUTATING = new Set(['post', 'put', 'patch', 'delete']);

/** Every mutating request is audited, refused ones too; agents' metric pushes are telemetry, not changes. */
export const audited = (r: Route): boolean => MUTATING.has(r.method) && r.role !== 'agent';

/**
 * Records who did what to which target with which result, once the response is sent. A failed
 * write is logged and does not change the answer the caller already has.
 */
export function auditTrail(deps: { db: Db; logger: Logger }): (r: Route) => RequestHandler[] {
  return (r) => (audited(r) ? [(req, res, next) => {
    // Express resets req.params when an error leaves the route, before the response finishes.
    const { id, name } = req.params as Record<string, string | undefined>;
    const pathTarget = id ?? name;
    res.on('finish', () => {
      const principal = res.locals.principal as Principal | undefined;
      const target = (res.locals.target as string | undefined) ?? pathTarget;
      appendAudit(deps.db, {
        requestId: res.locals.requestId as string,
        principalKind: principal?.kind ?? 'anonymous',
        principalId: principal?.id ?? null,
        method: req.method,
        route: r.path,
        // A raw path segment may hold anything, NUL included, which Postgres text refuses.
        target: target?.slice(0, 200).replace(/[\u0000-\u001f\u007f]/g, '?') ?? null,
        status: res.statusCode,
      }).catch((err: unknown) => ((res.locals.log as Logger | undefined) ?? deps.logger).error({ err }, 'could not write the audit log'));
    });
    next();
  }] : []);
}
