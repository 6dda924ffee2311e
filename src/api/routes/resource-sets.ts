import { isDeepStrictEqual } from 'node:util';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { z } from 'zod';
import { rolloutOptionsSchema } from '../../config/rollout-options.js';
import { templateNameSchema } from '../../config/template.js';
import { changePolicy, StaleSpecError } from '../../domain/policy-change.js';
import {
  instanceTypeOf,
  policyPatchSchema,
  resourceSetIdSchema,
  resourceSetSpecSchema,
  workflowIdFor,
  type PolicyPatch,
  type ResourceSetSpec,
} from '../../domain/resource-set.js';
import { ResourceSetId, ResourceSetState as ResourceSetStateKey, ScalingMode } from '../../domain/search-attributes.js';
import { specTag } from '../../domain/spec-tag.js';
import { latestForecast, listDecisions } from '../../store/decisions.js';
import {
  changeResourceSetSpec,
  deleteResourceSet,
  getResourceSet,
  insertResourceSet,
  listResourceSets,
  SpecContendedError,
  type ResourceSetRow,
} from '../../store/resource-sets.js';
import {
  NOTHING_TO_ROLL_BACK,
  pauseSignal,
  policySpecSignal,
  resumeSignal,
  rollbackUpdate,
  scaleToUpdate,
  setReleaseUpdate,
  stateQuery,
  stopSignal,
  type ResourceSetState,
} from '../../workflows/resource-set-messages.js';
import { resourceSetWorkflow } from '../../workflows/resource-set.js';
import { deleteTrainingSchedule, ensureTrainingSchedule, trainingScheduleFor } from '../training-schedule.js';
import {
  abortRolloutSignal,
  pauseRolloutSignal,
  promoteRolloutSignal,
  resumeRolloutSignal,
} from '../../workflows/rollout-messages.js';
import { changedFields } from '../audit.js';
import { releaseForSet, requireSetProfile } from '../release-checks.js';
import type { ApiContext } from '../context.js';
import { conditionsOf } from '../resource-set-conditions.js';
import { HttpError, notFound } from '../../infra/http-error.js';
import { isTemporalCallCut } from '../../infra/temporal.js';
import { unknownInstanceType } from '../../providers/catalogue.js';
import { pageBody, pageOf, pageQuery, pgTimestampText } from '../cursor.js';
import { instantSchema, isoFromSeconds, showForecast } from '../instants.js';
import { route, type Route } from '../route.js';
import { childListQuery, childPage, refusedWith, updateRefused } from './resource-set-lookup.js';

/**
 * A new resource set's spec: also what only a provider can tell is broken, caught before a loop
 * starts and fails quietly. Not re-checked on running sets, whose specs were accepted already.
 */
const newResourceSetSpecSchema = resourceSetSpecSchema.superRefine((spec, ctx) => {
  if (spec.provider === 'aws' && spec.providerRef === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['providerRef'],
      message: 'required with provider "aws": the name of the Auto Scaling group',
    });
  }
  const problem = unknownInstanceType(spec.provider, instanceTypeOf(spec));
  if (problem) ctx.addIssue({ code: 'custom', path: ['instanceType'], message: problem });
});

const idParams = z.strictObject({ id: resourceSetIdSchema });
const listQuery = pageQuery(z.strictObject({ id: resourceSetIdSchema }), { max: 500, fallback: 100 });
const decisionsQuery = pageQuery(
  z.strictObject({ decidedAt: pgTimestampText, iteration: z.number().int(), loopId: z.string().min(1).max(300) }),
  { max: 500, fallback: 50 },
);

const resourceSetBody = z.object({
  id: z.string(),
  spec: z.record(z.string(), z.unknown()),
  specVersion: z.number(),
  workflowId: z.string(),
  createdAt: instantSchema,
  temporalUiUrl: z.string().optional(),
});
export const conditionBody = z.object({
  type: z.enum(['Ready', 'Observing', 'Forecasting', 'Provisioning', 'Rollout']),
  status: z.enum(['True', 'False', 'Unknown']),
  reason: z.string(),
  message: z.string(),
  since: instantSchema,
});
const stateBody = resourceSetBody.extend({
  status: z.record(z.string(), z.unknown()),
  conditions: z.array(conditionBody),
});
const revertModeSchema = z.enum(['staged', 'immediate']);
const releaseBody = z
  .object({ template: z.string().nullable(), version: z.number().nullable(), revision: z.number() })
  .loose();
const rollbackBody = z.object({
  toRevision: z.number(),
  from: releaseBody,
  to: releaseBody,
  mode: revertModeSchema,
  requestedAt: instantSchema,
  status: z.enum(['under-way', 'done', 'failed']),
  repeated: z.boolean(),
  abortedRollout: z.string().nullable(),
  workflowId: z.string().nullable(),
});
/** The patched spec, or the API's answer to a patch the spec refuses: 412 for a stale If-Match, else 400 naming the field. */
function patchedSpec(spec: ResourceSetSpec, patch: PolicyPatch, ifMatch: string | undefined): ResourceSetSpec {
  try {
    return changePolicy(spec, patch, ifMatch);
  } catch (err) {
    if (err instanceof StaleSpecError) throw new HttpError(412, 'precondition_failed', err.message);
    throw new HttpError(400, 'invalid_request', (err as Error).message);
  }
}

const rolloutActions = {
  pause: pauseRolloutSignal,
  resume: resumeRolloutSignal,
  promote: promoteRolloutSignal,
  abort: abortRolloutSignal,
} as const;

export function resourceSetRoutes(ctx: ApiContext): Route[] {
  const { client } = ctx.temporal;
  const present = (row: ResourceSetRow) => ({
    ...row,
    ...(ctx.temporal.uiUrl
      ? { temporalUiUrl: `${ctx.temporal.uiUrl}/namespaces/${ctx.temporal.namespace}/workflows/${row.workflowId}` }
      : {}),
  });
  const existing = async (id: string): Promise<ResourceSetRow> => {
    const row = await getResourceSet(ctx.db, id);
    if (!row) throw notFound('resource set', id);
    return row;
  };
  const workflowGone = (err: unknown, id: string): never => {
    if (err instanceof WorkflowNotFoundError)
      throw new HttpError(409, 'workflow_not_running', `the workflow of resource set "${id}" is not running`);
    // A validator's rejection: the reason names the field.
    if (err instanceof WorkflowUpdateFailedError)
      throw new HttpError(400, 'invalid_request', err.cause?.message ?? err.message);
    throw err;
  };
  const handle = (row: ResourceSetRow) => client.workflow.getHandle(row.workflowId);

  const signalRoute = (action: 'pause' | 'resume', signal: typeof pauseSignal | typeof resumeSignal) =>
    route({
      method: 'post',
      path: `/v1/resource-sets/:id/${action}`,
      summary: `${action === 'pause' ? 'Pause' : 'Resume'} a resource set's control loop`,
      role: 'operator',
      resourceSetParam: 'id',
      params: idParams,
      responses: { 202: { description: 'Signal delivered' }, 404: { description: 'Unknown resource set' } },
      async handler({ params }) {
        const row = await existing(params.id);
        await handle(row)
          .signal(signal)
          .catch((err) => workflowGone(err, params.id));
        return { status: 202, body: { accepted: action } };
      },
    });

  return [
    route({
      method: 'post',
      path: '/v1/resource-sets',
      summary: 'Create a resource set and start its control loop',
      role: 'admin',
      body: newResourceSetSpecSchema,
      responses: {
        201: { description: 'Created', schema: resourceSetBody },
        200: { description: 'Already exists with the same spec', schema: resourceSetBody },
        409: { description: 'Exists with a different spec' },
      },
      async handler({ body }) {
        const spec: ResourceSetSpec = body;
        await requireSetProfile(ctx, spec);
        const workflowId = workflowIdFor(spec.id);
        // No transaction spans the workflow start: the embedded database runs one transaction at a
        // time, so holding one across a Temporal call would stall every other request. A row this
        // request created goes again when the start failed; when the call was cut at the deadline
        // the start may have happened, so the row stays and a retried POST joins the workflow.
        const result = await insertResourceSet(ctx.db, spec, workflowId);
        if (result.outcome !== 'conflict') {
          await client.workflow
            .start(resourceSetWorkflow, {
              workflowId,
              taskQueue: ctx.temporal.taskQueue,
              args: [{ spec }],
              staticSummary: `resource set ${spec.id}: ${spec.minInstances}..${spec.maxInstances} instances on ${spec.provider}`,
              // A retried identical create joins its own workflow; a new one must not join the
              // still-stopping loop of a deleted set with the same id.
              workflowIdConflictPolicy: result.outcome === 'identical' ? 'USE_EXISTING' : 'FAIL',
              typedSearchAttributes: [
                { key: ResourceSetId, value: spec.id },
                { key: ResourceSetStateKey, value: 'running' },
                { key: ScalingMode, value: spec.policy.mode },
              ],
            })
            .catch(async (err: unknown) => {
              if (result.outcome === 'created' && !isTemporalCallCut(err)) await deleteResourceSet(ctx.db, spec.id);
              if (err instanceof WorkflowExecutionAlreadyStartedError) {
                throw new HttpError(
                  409,
                  'still_stopping',
                  `the previous loop of "${spec.id}" is still stopping; retry shortly`,
                );
              }
              throw err;
            });
        }
        if (result.outcome === 'conflict') {
          throw new HttpError(409, 'conflict', `resource set "${spec.id}" exists with a different spec`, {
            existing: result.row.spec,
          });
        }
        await ensureTrainingSchedule(client, spec.id, trainingScheduleFor(spec, instanceTypeOf(spec)));
        return {
          status: result.outcome === 'created' ? 201 : 200,
          body: present(result.row),
          audit: { resourceSet: spec.id },
        };
      },
    }),
    route({
      method: 'get',
      path: '/v1/resource-sets',
      summary: 'List resource sets, ordered by id',
      role: 'viewer',
      query: listQuery,
      responses: { 200: { description: 'A page of resource sets', schema: pageBody(resourceSetBody) } },
      async handler({ query }) {
        const rows = await listResourceSets(ctx.db, { limit: query.limit, after: query.cursor?.id });
        return { status: 200, body: pageOf(rows, query.limit, ({ id }) => ({ id }), present) };
      },
    }),
    route({
      method: 'get',
      path: '/v1/resource-sets/:id',
      summary:
        'A resource set with the live state of its control loop and its conditions (Ready, Observing, Forecasting, Provisioning, Rollout)',
      role: 'viewer',
      resourceSetParam: 'id',
      params: idParams,
      responses: {
        200: { description: 'The resource set', schema: stateBody },
        404: { description: 'Unknown resource set' },
      },
      async handler({ params }) {
        const row = await existing(params.id);
        const state: ResourceSetState = await handle(row)
          .query(stateQuery)
          .catch((err) => workflowGone(err, params.id));
        const { conditions: _loop, override, ...status } = state;
        const shown = {
          ...status,
          override: override && { ...override, expiresAt: isoFromSeconds(override.expiresAt) },
        };
        // Of the stored spec, which a PATCH changes first: what If-Match on the PATCH compares with.
        return {
          status: 200,
          body: { ...present(row), status: shown, conditions: await conditionsOf(ctx.db, row, state) },
          headers: { etag: specTag(row.spec) },
        };
      },
    }),
    signalRoute('pause', pauseSignal),
    signalRoute('resume', resumeSignal),
    route({
      method: 'patch',
      path: '/v1/resource-sets/:id/policy',
      summary:
        "Change a resource set's bounds and scaling policy; with If-Match, only if the spec's ETag (from GET) still matches. Stored at once, then signalled to the loop",
      role: 'admin',
      resourceSetParam: 'id',
      params: idParams,
      body: policyPatchSchema,
      responses: {
        200: {
          description: 'The new spec and its version, with its ETag',
          schema: z.object({ spec: z.record(z.string(), z.unknown()), specVersion: z.number() }),
        },
        404: { description: 'Unknown resource set' },
        409: {
          description:
            "workflow_not_running: the set's loop has ended; conflict: the spec kept changing under 50 attempts in a row (retry)",
        },
        412: { description: 'If-Match names another version of the spec: GET it again' },
      },
      async handler({ params, body, req }) {
        const ifMatch = req.get('if-match');
        // The row is the desired state: the answer does not wait for the loop's worker, which may be behind.
        const changed = await changeResourceSetSpec(ctx.db, params.id, async (current) => {
          const spec = patchedSpec(current.spec, body, ifMatch);
          // A schedule update is a round of work in Temporal: only when what training needs changed.
          // Before the row: a request retried after a crash in between still sees the change.
          const training = trainingScheduleFor(spec, instanceTypeOf(spec));
          if (!isDeepStrictEqual(training, trainingScheduleFor(current.spec, instanceTypeOf(current.spec))))
            await ensureTrainingSchedule(client, spec.id, training);
          return spec;
        }).catch((err: unknown) => {
          if (err instanceof SpecContendedError) throw new HttpError(409, 'conflict', err.message);
          throw err;
        });
        if (!changed) throw notFound('resource set', params.id);
        const { before, after } = changed;
        // Sent again on a repeat, whose spec changed nothing: a retry after a failed signal delivers it.
        await handle(after)
          .signal(policySpecSignal, { spec: after.spec, version: after.specVersion })
          .catch((err) => workflowGone(err, params.id));
        return {
          status: 200,
          body: { spec: after.spec, specVersion: after.specVersion },
          headers: { etag: specTag(after.spec) },
          audit: { change: changedFields(before.spec, after.spec) },
        };
      },
    }),
    route({
      method: 'post',
      path: '/v1/resource-sets/:id/scale',
      summary: 'Pin the instance count until the override expires',
      role: 'operator',
      resourceSetParam: 'id',
      params: idParams,
      body: z.strictObject({
        count: z.number().int().min(0).max(10_000),
        ttlSeconds: z
          .number()
          .int()
          .min(1)
          .max(7 * 86_400),
      }),
      responses: {
        200: { description: 'The override', schema: z.object({ count: z.number(), expiresAt: instantSchema }) },
        404: { description: 'Unknown resource set' },
      },
      async handler({ params, body }) {
        const row = await existing(params.id);
        const override = await handle(row)
          .executeUpdate(scaleToUpdate, { args: [body] })
          .catch((err) => workflowGone(err, params.id));
        return { status: 200, body: override };
      },
    }),
    route({
      method: 'delete',
      path: '/v1/resource-sets/:id',
      summary: 'Stop the control loop (deprovision=true: remove every instance first)',
      role: 'admin',
      resourceSetParam: 'id',
      params: idParams,
      query: z.strictObject({ deprovision: z.enum(['true', 'false']).default('false') }),
      responses: { 202: { description: 'Stopping' }, 404: { description: 'Unknown resource set' } },
      async handler({ params, query }) {
        const row = await existing(params.id);
        await handle(row)
          .signal(stopSignal, { deprovision: query.deprovision === 'true' })
          .catch((err: unknown) => {
            if (!(err instanceof WorkflowNotFoundError)) throw err;
          });
        await deleteResourceSet(ctx.db, params.id);
        await deleteTrainingSchedule(client, params.id);
        return { status: 202, body: { stopping: params.id, deprovision: query.deprovision === 'true' } };
      },
    }),
    route({
      method: 'get',
      path: '/v1/resource-sets/:id/decisions',
      summary: 'Decisions with their reasons, newest first',
      role: 'viewer',
      resourceSetParam: 'id',
      params: idParams,
      query: decisionsQuery,
      responses: {
        200: { description: 'A page of decisions', schema: pageBody(z.record(z.string(), z.unknown())) },
        404: { description: 'Unknown resource set' },
      },
      async handler({ params, query }) {
        await existing(params.id);
        const rows = await listDecisions(ctx.db, params.id, { limit: query.limit, before: query.cursor });
        const page = pageOf(
          rows,
          query.limit,
          (r) => r.position,
          ({ decision: d }) => ({ ...d, forecast: d.forecast && showForecast(d.forecast) }),
        );
        return { status: 200, body: page };
      },
    }),
    route({
      method: 'get',
      path: '/v1/resource-sets/:id/forecast',
      summary: 'The latest forecast with its intervals',
      role: 'viewer',
      resourceSetParam: 'id',
      params: idParams,
      responses: {
        200: { description: 'Forecast', schema: z.record(z.string(), z.unknown()) },
        404: { description: 'Unknown resource set or no forecast yet' },
      },
      async handler({ params }) {
        await existing(params.id);
        const latest = await latestForecast(ctx.db, params.id);
        if (!latest?.forecast) throw new HttpError(404, 'no_forecast', `no forecast recorded yet for "${params.id}"`);
        return { status: 200, body: { decidedAt: latest.decidedAt, ...showForecast(latest.forecast) } };
      },
    }),
    route({
      method: 'put',
      path: '/v1/resource-sets/:id/template',
      summary: 'Point a resource set at a template version: the loop rolls it out in canary steps',
      role: 'admin',
      resourceSetParam: 'id',
      params: idParams,
      body: z.strictObject({
        template: templateNameSchema,
        version: z.number().int().min(1),
        rollout: rolloutOptionsSchema.optional(),
      }),
      responses: {
        200: {
          description: 'The configuration state: stable, desired, previous',
          schema: z.record(z.string(), z.unknown()),
        },
        404: { description: 'Unknown resource set or template version' },
      },
      async handler({ params, body }) {
        const row = await existing(params.id);
        const release = await releaseForSet(ctx, row.spec, body);
        // Only for the audit log's "before": the update answers what the set points at now.
        const before: ResourceSetState = await handle(row)
          .query(stateQuery)
          .catch((err) => workflowGone(err, params.id));
        const config = await handle(row)
          .executeUpdate(setReleaseUpdate, { args: [{ release, ...(body.rollout ? { rollout: body.rollout } : {}) }] })
          .catch((err) => workflowGone(err, params.id));
        return {
          status: 200,
          body: config,
          audit: { change: changedFields({ ...before.config.desired }, { ...config.desired }) },
        };
      },
    }),
    route({
      method: 'post',
      path: '/v1/resource-sets/:id/rollback',
      summary:
        'Roll back to toRevision (default: during a rollout, abort it; after one, the release that was stable before): a repeat changes nothing and answers the rollback already decided',
      role: 'operator',
      resourceSetParam: 'id',
      params: idParams,
      body: z
        .strictObject({ mode: revertModeSchema.default('immediate'), toRevision: z.number().int().min(0).optional() })
        .prefault({}),
      responses: {
        202: {
          description: 'Rollback under way: from, to (with its revision), status, abortedRollout, workflowId',
          schema: rollbackBody,
        },
        200: {
          description: 'A repeat: the rollback already decided, under way or done (repeated: true)',
          schema: rollbackBody,
        },
        404: { description: 'Unknown resource set' },
        409: {
          description: 'Nothing to roll back (the set already runs that revision), or another rollback is under way',
        },
      },
      async handler({ params, body }) {
        const row = await existing(params.id);
        const answer = await handle(row)
          .executeUpdate(rollbackUpdate, { args: [body] })
          .catch((err: unknown) => {
            const nothing = refusedWith(err, NOTHING_TO_ROLL_BACK);
            if (nothing !== null) throw new HttpError(409, 'nothing_to_roll_back', nothing);
            return updateRefused(err, params.id);
          });
        return {
          status: answer.repeated ? 200 : 202,
          body: { accepted: 'rollback', toRevision: answer.to.revision, ...answer },
        };
      },
    }),
    route({
      method: 'post',
      path: '/v1/resource-sets/:id/rollout/:action',
      summary:
        'Steer the rollout, experiment or tuning session under way: pause (hold its clock), resume, promote (skip the remaining analysis; B wins an experiment) or abort (roll back)',
      role: 'operator',
      resourceSetParam: 'id',
      params: idParams.extend({ action: z.enum(['pause', 'resume', 'promote', 'abort']) }),
      body: z.strictObject({ mode: revertModeSchema.optional() }).prefault({}),
      responses: {
        202: { description: 'Signal delivered' },
        404: { description: 'Unknown resource set' },
        409: {
          description: 'Nothing under way, or an action the kind under way does not take (promote on a tuning session)',
        },
      },
      async handler({ params, body }) {
        const row = await existing(params.id);
        const state: ResourceSetState = await handle(row)
          .query(stateQuery)
          .catch((err) => workflowGone(err, params.id));
        const active = state.activeRollout;
        if (!active)
          throw new HttpError(409, 'no_active_rollout', `resource set "${params.id}" has no rollout under way`);
        // A session's best configuration is known only once its trials ran: there is no candidate to promote yet.
        if (active.kind === 'tuning' && params.action === 'promote') {
          throw new HttpError(
            409,
            'not_applicable',
            `${active.workflowId} is a tuning session, which has nothing to promote: abort ends it, or it recommends its best trial when done`,
          );
        }
        const rollout = client.workflow.getHandle(active.workflowId);
        if (params.action === 'abort')
          await rollout.signal(rolloutActions.abort, {
            ...(body.mode ? { mode: body.mode } : {}),
            reason: 'aborted through the API',
          });
        else await rollout.signal(rolloutActions[params.action]);
        return { status: 202, body: { accepted: params.action, rollout: active.workflowId, kind: active.kind } };
      },
    }),
    route({
      method: 'get',
      path: '/v1/resource-sets/:id/rollouts',
      summary: 'Rollouts and rollbacks with every step and verdict, newest first',
      role: 'viewer',
      resourceSetParam: 'id',
      params: idParams,
      query: childListQuery,
      responses: {
        200: { description: 'A page of rollouts', schema: pageBody(z.record(z.string(), z.unknown())) },
        404: { description: 'Unknown resource set' },
      },
      async handler({ params, query }) {
        return { status: 200, body: await childPage(ctx, 'rollouts', params.id, query) };
      },
    }),
  ];
}
