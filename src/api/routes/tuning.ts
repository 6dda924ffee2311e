import { z } from 'zod';
import { sampleServiceSpace } from '../../config/recommend/sample-service-model.js';
import type { ParameterSpec, SearchSpace } from '../../config/recommend/space.js';
import { resourceSetIdSchema } from '../../domain/resource-set.js';
import { HttpError } from '../../infra/http-error.js';
import { findInstanceType } from '../../providers/local/instance-types.js';
import { listSnapshots } from '../../store/progress-snapshots.js';
import { stateQuery, type ResourceSetState } from '../../workflows/resource-set-messages.js';
import {
  MAX_TUNING_TRIALS,
  startTuningUpdate,
  tuningObjectives,
  tuningProgressQuery,
} from '../../workflows/tuning-messages.js';
import type { ApiContext } from '../context.js';
import { pageBody } from '../cursor.js';
import { route, type Route } from '../route.js';
import {
  childListQuery,
  childPage,
  childProgress,
  existingSet,
  loopGone,
  updateRefused,
} from './resource-set-lookup.js';

const idParams = z.strictObject({ id: resourceSetIdSchema });
const sessionParams = idParams.extend({
  sessionId: z.string().regex(/^tuning-[a-z0-9-]{1,120}$/, 'must be a tuning session id'),
});
const progressBody = z.record(z.string(), z.unknown());
const parameterName = z.enum(['poolSize', 'cacheSize', 'queueLimit']);

const tuningRequestSchema = z.strictObject({
  /** Names (each over its whole range), or names with narrower bounds; default every numeric parameter of the app's schema. */
  parameters: z
    .array(z.union([parameterName, z.strictObject({ name: parameterName, min: z.number(), max: z.number() })]))
    .min(1)
    .max(3)
    .optional(),
  trials: z.number().int().min(1).max(MAX_TUNING_TRIALS).default(8),
  bakeSeconds: z.number().int().min(5).max(86_400).optional(),
  objective: z.enum(tuningObjectives).default('latencyP95'),
});
type TuningRequestBody = z.output<typeof tuningRequestSchema>;

/**
 * The search space a request asks for, within the app's parameter schema and what the instance
 * type's memory holds (a type the local cloud does not know is taken at the smallest's memory:
 * a cache that does not fit would only fail its trials). 400 on a name twice or bounds outside.
 */
function spaceOf(requested: TuningRequestBody['parameters'], instanceType: string): SearchSpace {
  const full = sampleServiceSpace(findInstanceType(instanceType) ?? { name: instanceType, speed: 1, hourlyPrice: 0 });
  const specs = requested ?? full.parameters.map((p) => p.name);
  const parameters = specs.map((asked, i): ParameterSpec => {
    const name = typeof asked === 'string' ? asked : asked.name;
    const whole = full.parameters.find((p) => p.name === name)!;
    if (specs.slice(0, i).some((other) => (typeof other === 'string' ? other : other.name) === name)) {
      throw new HttpError(400, 'invalid_request', `parameters[${i}]: ${name} is listed twice`);
    }
    if (typeof asked === 'string') return whole;
    if (!(asked.min >= whole.min && asked.max <= whole.max && asked.min < asked.max)) {
      throw new HttpError(
        400,
        'invalid_request',
        `parameters[${i}]: ${name} bounds must satisfy ${whole.min} ≤ min < max ≤ ${whole.max} on ${instanceType}`,
      );
    }
    return { ...whole, min: asked.min, max: asked.max };
  });
  return { parameters };
}

/**
 * App-parameter tuning sessions: Bayesian optimisation over canary trials, the best safe
 * configuration recommended (or, with policy.configuration.mode auto, rolled out). Starting one is
 * an admin's act: its canaries run configurations nobody reviewed.
 */
export function tuningRoutes(ctx: ApiContext): Route[] {
  const { client } = ctx.temporal;
  const existing = (id: string) => existingSet(ctx, id);

  return [
    route({
      method: 'post',
      path: '/v1/resource-sets/:id/tuning',
      summary:
        'Start an app-parameter tuning session: canary trials proposed by Bayesian optimisation; the best safe one becomes a recommendation',
      role: 'admin',
      resourceSetParam: 'id',
      params: idParams,
      body: tuningRequestSchema,
      responses: {
        202: { description: 'Tuning session starting', schema: z.object({ id: z.string() }) },
        400: { description: 'Unknown parameter, or bounds outside its range' },
        404: { description: 'Unknown resource set' },
        409: {
          description:
            'A rollout, experiment or tuning session is under way, or the loop is not changing configuration (paused, forecast-only)',
        },
      },
      async handler({ params, body }) {
        const row = await existing(params.id);
        const handle = client.workflow.getHandle(row.workflowId);
        const state: ResourceSetState = await handle.query(stateQuery).catch((err) => loopGone(err, params.id));
        const { parameters, ...rest } = body;
        const request = { ...rest, space: spaceOf(parameters, state.config.stable.instanceType) };
        const started = await handle
          .executeUpdate(startTuningUpdate, { args: [request] })
          .catch((err: unknown) => updateRefused(err, params.id));
        return { status: 202, body: { id: started.workflowId } };
      },
    }),
    route({
      method: 'get',
      path: '/v1/resource-sets/:id/tuning',
      summary: 'Tuning sessions with their trials (parameters, measured p95, verdict) and outcome, newest first',
      role: 'viewer',
      resourceSetParam: 'id',
      params: idParams,
      query: childListQuery,
      responses: {
        200: { description: 'A page of tuning sessions', schema: pageBody(progressBody) },
        404: { description: 'Unknown resource set' },
      },
      async handler({ params, query }) {
        return { status: 200, body: await childPage(ctx, 'tuning_sessions', params.id, query) };
      },
    }),
    route({
      method: 'get',
      path: '/v1/resource-sets/:id/tuning/:sessionId',
      summary: 'One tuning session',
      role: 'viewer',
      resourceSetParam: 'id',
      params: sessionParams,
      responses: {
        200: { description: 'The session', schema: progressBody },
        404: { description: 'Unknown resource set or session' },
      },
      async handler({ params }) {
        await existing(params.id);
        const [recorded] = await listSnapshots(ctx.db, 'tuning_sessions', params.id, {
          limit: 1,
          id: params.sessionId,
        });
        return {
          status: 200,
          body: await childProgress(
            ctx,
            params.id,
            'tuning session',
            params.sessionId,
            recorded?.progress,
            tuningProgressQuery,
          ),
        };
      },
    }),
  ];
}
