import { z } from 'zod';
import { tuningSpaceOf } from '../../config/recommend/profile-space.js';
import type { ParameterSpec, SearchSpace } from '../../config/recommend/space.js';
import type { AppProfile } from '../../domain/app-profile.js';
import { profileOfSet, resourceSetIdSchema } from '../../domain/resource-set.js';
import { HttpError } from '../../infra/http-error.js';
import { findInstanceType } from '../../providers/local/instance-types.js';
import { listSnapshots } from '../../store/progress-snapshots.js';
import { resolveProfile } from '../../store/template-versions.js';
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
const parameterName = z.string().min(1).max(64);
/** A session has at most MAX_TUNING_TRIALS trials: the surrogate learns nothing from more dimensions than that fills. */
const MAX_TUNED_PARAMETERS = 8;

const tuningRequestSchema = z.strictObject({
  /** Names (each over its whole range), or numeric ones with narrower bounds; default every tunable parameter of the set's profile. */
  parameters: z
    .array(z.union([parameterName, z.strictObject({ name: parameterName, min: z.number(), max: z.number() })]))
    .min(1)
    .max(MAX_TUNED_PARAMETERS)
    .optional(),
  trials: z.number().int().min(1).max(MAX_TUNING_TRIALS).default(8),
  bakeSeconds: z.number().int().min(5).max(86_400).optional(),
  objective: z.enum(tuningObjectives).default('latencyP95'),
});
type TuningRequestBody = z.output<typeof tuningRequestSchema>;

const invalid = (message: string): HttpError => new HttpError(400, 'invalid_request', message);

/**
 * The search space a request asks for, within what the set's profile lets the tuner search on its
 * instance type (a type the local cloud does not know is taken at the smallest's capacity: a
 * value that does not fit would only fail its trials). 400 on a name the profile does not let
 * the tuner search, a name twice, or bounds outside its range.
 */
function spaceOf(requested: TuningRequestBody['parameters'], profile: AppProfile, instanceType: string): SearchSpace {
  const full = tuningSpaceOf(profile, findInstanceType(instanceType)?.speed ?? 1);
  if (full.parameters.length === 0) throw invalid("the set's profile has no parameter the tuner may search");
  const specs = requested ?? full.parameters.map((p) => p.name);
  const parameters = specs.map((asked, i): ParameterSpec => {
    const name = typeof asked === 'string' ? asked : asked.name;
    const whole = full.parameters.find((p) => p.name === name);
    if (!whole) throw invalid(`parameters[${i}]: ${name} is not a tunable parameter of the set's profile`);
    if (specs.slice(0, i).some((other) => (typeof other === 'string' ? other : other.name) === name)) {
      throw invalid(`parameters[${i}]: ${name} is listed twice`);
    }
    if (typeof asked === 'string') return whole;
    if (whole.values) throw invalid(`parameters[${i}]: ${name} is a choice, searched over all its values`);
    if (!(asked.min >= whole.min && asked.max <= whole.max && asked.min < asked.max)) {
      throw invalid(
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
        400: { description: 'A parameter the profile does not let the tuner search, or bounds outside its range' },
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
        const profile = await resolveProfile(ctx.db, undefined, profileOfSet(row.spec));
        const request = { ...rest, space: spaceOf(parameters, profile.body, state.config.stable.instanceType) };
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
