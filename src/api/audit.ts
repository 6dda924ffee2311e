import { isDeepStrictEqual } from 'node:util';
import type { RequestHandler } from 'express';
import type { Principal } from '../auth/principal.js';
import type { Logger } from '../logger.js';
import { appendAudit, type AuditChange } from '../store/audit.js';
import type { Db } from '../store/db.js';
import type { Route, RouteResult } from './route.js';

const MUTATING = new Set(['post', 'put', 'patch', 'delete']);

/** Every mutating request is audited, refused ones too; agents' metric pushes are telemetry, not changes. */
export const audited = (r: Route): boolean => MUTATING.has(r.method) && r.role !== 'agent';

/** What `prescale keys` records, as METHOD and route like the API's actions. */
export const CLI_ACTIONS = ['CLI keys create', 'CLI keys revoke', 'CLI keys rotate'] as const;

/** The top-level fields that differ between two objects, each side with its own values; null when nothing did. */
export function changedFields(before: Record<string, unknown>, after: Record<string, unknown>): AuditChange | null {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter(
    (k) => !isDeepStrictEqual(before[k], after[k]),
  );
  if (keys.length === 0) return null;
  const pick = (o: Record<string, unknown>) => Object.fromEntries(keys.filter((k) => k in o).map((k) => [k, o[k]]));
  return { before: pick(before), after: pick(after) };
}

// A raw path segment may hold anything, NUL included, which Postgres text refuses.
const clean = (text: string | undefined): string | null =>
  text?.slice(0, 200).replace(/[\u0000-\u001f\u007f]/g, '?') ?? null;

/**
 * Records who did what to which target with which result, and what it changed, once the response
 * is sent. A failed write is logged and does not change the answer the caller already has.
 */
export function auditTrail(deps: { db: Db; logger: Logger }): (r: Route) => RequestHandler[] {
  return (r) =>
    audited(r)
      ? [
          (req, res, next) => {
            // Express resets req.params when an error leaves the route, before the response finishes.
            const params = req.params as Record<string, string | undefined>;
            const pathTarget = params.id ?? params.name;
            const pathResourceSet = r.resourceSetParam ? params[r.resourceSetParam] : undefined;
            res.on('finish', () => {
              const principal = res.locals.principal as Principal | undefined;
              const target = (res.locals.target as string | undefined) ?? pathTarget;
              const audit = res.locals.audit as RouteResult['audit'];
              appendAudit(deps.db, {
                requestId: res.locals.requestId as string,
                principalKind: principal?.kind ?? 'anonymous',
                principalId: principal?.id ?? null,
                method: req.method,
                route: r.path,
                target: clean(target),
                resourceSet: clean(pathResourceSet ?? audit?.resourceSet),
                status: res.statusCode,
                change: audit?.change,
              }).catch((err: unknown) =>
                ((res.locals.log as Logger | undefined) ?? deps.logger).error({ err }, 'could not write the audit log'),
              );
            });
            next();
          },
        ]
      : [];
}
