import { z } from 'zod';
import { authorize } from '../../auth/authorize.js';
import { resourceSetIdSchema, type ResourceSetSpec } from '../../domain/resource-set.js';
import { demandRate } from '../../forecast/series.js';
import { HttpError, notFound } from '../../infra/http-error.js';
import { decisionPoints } from '../../store/decisions.js';
import { latestInstanceReports, type InstanceReport } from '../../store/instance-reports.js';
import { demandSeries } from '../../store/metrics.js';
import { getResourceSet } from '../../store/resource-sets.js';
import { principalOf } from '../auth.js';
import type { ApiContext } from '../context.js';
import { timeline } from '../dashboard/timeline.js';
import { readResourceSets } from '../resource-set-readings.js';
import { instantSchema, isoFromSeconds } from '../instants.js';
import { route, type Route } from '../route.js';
import { conditionBody } from './resource-sets.js';

const idParams = z.strictObject({ id: resourceSetIdSchema });
const STEP_SECONDS = 60;
/** Instances silent for longer than this are gone (or going) and left out. */
const INSTANCE_WINDOW_SECONDS = 300;
/** An instance is silent once this many of its sample intervals pass without a sample (and at least the floor). */
const MISSED_INTERVALS = 3;
const SILENT_FLOOR_SECONDS = 15;
/** The operator actions the dashboard offers, by the path of the POST route that performs each. */
const ACTIONS = {
  pause: '/v1/resource-sets/:id/pause',
  resume: '/v1/resource-sets/:id/resume',
  rollback: '/v1/resource-sets/:id/rollback',
};

type Health = 'healthy' | 'breaching' | 'silent';

/** Silent when its agent stopped reporting; breaching when its latest interval missed the set's SLO. */
function healthOf(report: InstanceReport, spec: ResourceSetSpec, now: number): Health {
  if (now - report.lastSampleAt > Math.max(MISSED_INTERVALS * report.intervalSeconds, SILENT_FLOOR_SECONDS))
    return 'silent';
  const slow = report.latencyP95Ms !== null && report.latencyP95Ms > spec.slo.latencyP95Ms;
  return slow || (report.errorRate ?? 0) > spec.slo.errorRate ? 'breaching' : 'healthy';
}

const overviewBody = z.object({
  id: z.string(),
  state: z.enum(['running', 'paused', 'stopping']).nullable().describe('Null when its loop did not answer'),
  current: z.number().nullable(),
  desired: z.number().nullable(),
  forecast: z.number().nullable(),
  loopLagSeconds: z.number().nullable(),
  lastDecision: z
    .object({
      decidedAt: instantSchema,
      rule: z.string(),
      current: z.number(),
      desired: z.number(),
      reasons: z.array(z.string()),
    })
    .loose()
    .nullable(),
  conditions: z.array(conditionBody),
});

const seriesBody = z.object({
  stepSeconds: z.number(),
  t: z.array(instantSchema).describe("Each step's start"),
  demand: z.array(z.number().nullable()),
  capacity: z.array(z.number().nullable()),
  plannedCapacity: z.array(z.number().nullable()),
  forecast: z.record(z.string(), z.array(z.number().nullable())),
  model: z.string().nullable(),
});

/**
 * What the dashboard reads besides the resource-set routes: the chart's time series, the
 * instances as their agents report them, and what the caller may do. `table` is the whole route
 * table, so that what the caller may do is what the routes themselves would allow.
 */
export function dashboardRoutes(ctx: ApiContext, table: () => readonly Route[]): Route[] {
  const existing = async (id: string) => {
    const row = await getResourceSet(ctx.db, id);
    if (!row) throw notFound('resource set', id);
    return row;
  };
  return [
    route({
      method: 'get',
      path: '/v1/overview',
      summary:
        'Every resource set at a glance, by id: state, instances now and desired, last decision, conditions (read from the store, not the workflows)',
      role: 'viewer',
      responses: { 200: { description: 'The sets', schema: z.object({ items: z.array(overviewBody) }) } },
      async handler() {
        const readings = await readResourceSets(ctx.db);
        return { status: 200, body: { items: readings.sort((a, b) => a.id.localeCompare(b.id)) } };
      },
    }),
    route({
      method: 'get',
      path: '/v1/resource-sets/:id/series',
      summary:
        'Demand, forecasts (p50/p90/p99) and capacity per minute, in requests per second, over the last hours and the forecast horizon',
      role: 'viewer',
      resourceSetParam: 'id',
      params: idParams,
      query: z.strictObject({ hours: z.coerce.number().int().min(1).max(48).default(3) }),
      responses: {
        200: { description: 'Aligned series', schema: seriesBody },
        404: { description: 'Unknown resource set' },
      },
      async handler({ params, query }) {
        await existing(params.id);
        const now = Date.now() / 1000;
        const from = now - query.hours * 3600;
        const [demand, decisions] = await Promise.all([
          demandSeries(ctx.db, params.id, { from, to: now, stepSeconds: STEP_SECONDS }),
          decisionPoints(ctx.db, params.id, { from, to: now + 1 }),
        ]);
        const grid = timeline({ from, now, demand: demandRate(demand), decisions });
        return { status: 200, body: { ...grid, t: grid.t.map(isoFromSeconds) } };
      },
    }),
    route({
      method: 'get',
      path: '/v1/resource-sets/:id/instances',
      summary:
        'Instances that reported in the last five minutes: configuration revision, load and health from their latest sample',
      role: 'viewer',
      resourceSetParam: 'id',
      params: idParams,
      responses: {
        200: {
          description: 'Instances by id',
          schema: z.object({ items: z.array(z.record(z.string(), z.unknown())) }),
        },
        404: { description: 'Unknown resource set' },
      },
      async handler({ params }) {
        const row = await existing(params.id);
        const now = Date.now() / 1000;
        const reports = await latestInstanceReports(ctx.db, params.id, { now, windowSeconds: INSTANCE_WINDOW_SECONDS });
        return {
          status: 200,
          body: {
            items: reports.map((r) => ({
              ...r,
              lastSampleAt: isoFromSeconds(r.lastSampleAt),
              health: healthOf(r, row.spec, now),
            })),
          },
        };
      },
    }),
    route({
      method: 'get',
      path: '/v1/resource-sets/:id/access',
      summary: 'Who the caller is and which operator actions it may take on this resource set',
      role: 'viewer',
      resourceSetParam: 'id',
      params: idParams,
      responses: {
        200: {
          description: 'The caller and its allowed actions',
          schema: z.object({
            principal: z.record(z.string(), z.unknown()),
            actions: z.record(z.string(), z.boolean()),
          }),
        },
      },
      async handler({ params, req }) {
        await existing(params.id);
        const principal = principalOf(req);
        const routes = table();
        const allowed = (path: string): boolean => {
          const r = routes.find((x) => x.method === 'post' && x.path === path);
          if (!r) throw new HttpError(500, 'internal', `no route POST ${path}`);
          return authorize(r, principal, params).allow;
        };
        return {
          status: 200,
          body: {
            principal: {
              kind: principal?.kind,
              id: principal?.id,
              role: principal?.role ?? null,
              scopes: principal?.scopes ?? null,
            },
            actions: Object.fromEntries(Object.entries(ACTIONS).map(([action, path]) => [action, allowed(path)])),
          },
        };
      },
    }),
  ];
}
