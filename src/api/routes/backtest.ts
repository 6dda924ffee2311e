import { ActivityFailure, ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { z } from 'zod';
import { resourceSetIdSchema } from '../../domain/resource-set.js';
import { HttpError, notFound } from '../../infra/http-error.js';
import { BACKTEST_UNANSWERABLE, MAX_BACKTEST_DAYS, MIN_BACKTEST_DAYS } from '../../sim/recorded-backtest.js';
import { getResourceSet } from '../../store/resource-sets.js';
import type { ApiContext } from '../context.js';
import { instantSchema, isoFromSeconds } from '../instants.js';
import { backtestWorkflow } from '../../workflows/backtest.js';
import { route, type Route } from '../route.js';

const MINUTE = 60;
/** How long a backtest may run; identical requests within the same minute join one run. */
const RESULT_WAIT_MINUTES = 10;

const figuresSchema = z.object({
  tauU: z.number(),
  thetaU: z.number(),
  thetaO: z.number(),
  cost: z.number(),
  changesPerHour: z.number(),
  mase: z.number().nullable(),
});
const frontierSchema = z.object({
  points: z.array(
    z.object({
      policy: z.enum(['hpa', 'aws', 'predictive']),
      label: z.string(),
      tauU: z.number(),
      cost: z.number(),
      current: z.boolean(),
    }),
  ),
  today: z.object({ tauU: z.number(), cost: z.number(), envelopeTau: z.number() }),
});
const backtestBody = z.object({
  from: instantSchema,
  to: instantSchema,
  days: z.number(),
  warmupDays: z.number(),
  target: z.number(),
  capacityPerInstance: z.number(),
  policies: z.record(z.string(), figuresSchema),
  frontier: frontierSchema.optional(),
});

/**
 * "What would each policy have done on my last two weeks?": the resource set's own recorded
 * demand through the same simulator as `prescale backtest`, in its fleet model (capacity per
 * instance p99 ÷ 20, 5-minute boot), so the figures read like bench/RESULTS.md's.
 */
export function backtestRoutes(ctx: ApiContext): Route[] {
  return [
    route({
      method: 'get',
      path: '/v1/resource-sets/:id/backtest',
      summary: `Replays the set's recorded demand (up to ${MAX_BACKTEST_DAYS} days) through predictive, hpa, aws and the oracle in the backtest fleet model`,
      role: 'viewer',
      resourceSetParam: 'id',
      params: z.strictObject({ id: resourceSetIdSchema }),
      query: z.strictObject({
        target: z.coerce.number().gt(0).max(1).default(0.7),
        days: z.coerce.number().int().min(MIN_BACKTEST_DAYS).max(MAX_BACKTEST_DAYS).default(MAX_BACKTEST_DAYS),
        frontier: z
          .enum(['true', 'false'])
          .default('false')
          .transform((v) => v === 'true')
          .describe('true: also τU against cost for hpa and aws at targets 0.5–0.9 and predictive at its objectives'),
      }),
      responses: {
        200: {
          description:
            'Per policy: τU, θU, θO (%), cost (× the oracle), changes per hour, forecast MASE; with frontier=true the frontier too',
          schema: backtestBody,
        },
        404: { description: 'Unknown resource set' },
        422: {
          description: `Less than ${MIN_BACKTEST_DAYS} days of recorded demand, or too little demand to size instances`,
        },
      },
      async handler({ params, query }) {
        if (!(await getResourceSet(ctx.db, params.id))) throw notFound('resource set', params.id);
        const to = Math.floor(Date.now() / 1000 / MINUTE) * MINUTE;
        const input = {
          resourceSetId: params.id,
          to,
          days: query.days,
          target: query.target,
          ...(query.frontier ? { frontier: true } : {}),
        };
        try {
          // The API's Temporal deadline tells an overloaded server from a slow one; a backtest's
          // answer is minutes of computation, so its wait has its own deadline.
          const report = await ctx.temporal.connection.withDeadline(Date.now() + RESULT_WAIT_MINUTES * 60_000, () =>
            ctx.temporal.client.workflow.execute(backtestWorkflow, {
              workflowId: `backtest-${params.id}-${query.days}d-${query.target}${query.frontier ? '-frontier' : ''}-${to}`,
              taskQueue: ctx.temporal.taskQueue,
              args: [input],
              workflowIdConflictPolicy: 'USE_EXISTING',
              workflowExecutionTimeout: `${RESULT_WAIT_MINUTES}m`,
              staticSummary: `backtest of ${params.id}: ${query.days} days at target ${query.target}`,
            }),
          );
          return { status: 200, body: { ...report, from: isoFromSeconds(report.from), to: isoFromSeconds(report.to) } };
        } catch (err) {
          const cause =
            err instanceof WorkflowFailedError && err.cause instanceof ActivityFailure ? err.cause.cause : undefined;
          if (
            cause instanceof ApplicationFailure &&
            (BACKTEST_UNANSWERABLE as readonly (string | undefined)[]).includes(cause.type ?? undefined)
          ) {
            throw new HttpError(422, cause.type!, cause.message);
          }
          throw err;
        }
      },
    }),
  ];
}
