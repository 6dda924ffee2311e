import { z } from 'zod';
import { experimentRequestSchema } from '../../config/experiment-options.js';
import type { Release } from '../../config/release.js';
import { releaseForSet } from '../release-checks.js';
import { resourceSetIdSchema } from '../../domain/resource-set.js';
import { HttpError } from '../../infra/http-error.js';
import { listSnapshots } from '../../store/progress-snapshots.js';
import type { ResourceSetRow } from '../../store/resource-sets.js';
import {
  abortExperimentSignal,
  concludeExperimentSignal,
  experimentProgressQuery,
  promoteExperimentSignal,
  startExperimentUpdate,
} from '../../workflows/experiment-messages.js';
import { stateQuery, type ResourceSetState } from '../../workflows/resource-set-messages.js';
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
const experimentParams = idParams.extend({
  expId: z.string().regex(/^experiment-[a-z0-9-]{1,120}$/, 'must be an experiment id'),
});
const progressBody = z.record(z.string(), z.unknown());

/**
 * A/B experiments on a resource set. Starting one is an admin's act, as pointing the set at a
 * template version is: its winner is rolled out to the whole set without anyone else's say.
 * Steering one under way (conclude, promote, abort) is an operator's, as steering a rollout is.
 */
export function experimentRoutes(ctx: ApiContext): Route[] {
  const { client } = ctx.temporal;
  const existing = (id: string) => existingSet(ctx, id);
  async function release(
    row: ResourceSetRow,
    side: 'a' | 'b',
    ref: { template: string; version: number },
  ): Promise<Release> {
    return releaseForSet(ctx, row.spec, ref, `${side}: `);
  }

  return [
    route({
      method: 'post',
      path: '/v1/resource-sets/:id/experiments',
      summary:
        'Start an A/B experiment: B on a share of the fleet, A on the rest, judged after the duration; the winner is rolled out',
      role: 'admin',
      resourceSetParam: 'id',
      params: idParams,
      body: experimentRequestSchema,
      responses: {
        202: { description: 'Experiment starting', schema: z.object({ id: z.string() }) },
        404: { description: 'Unknown resource set or template version' },
        409: {
          description:
            'A rollout or an experiment is under way, or the loop is not changing configuration (paused, forecast-only)',
        },
      },
      async handler({ params, body }) {
        const row = await existing(params.id);
        const { a, b, ...options } = body;
        const request = { a: await release(row, 'a', a), b: await release(row, 'b', b), options };
        const started = await client.workflow
          .getHandle(row.workflowId)
          .executeUpdate(startExperimentUpdate, { args: [request] })
          .catch((err: unknown) => updateRefused(err, params.id));
        return { status: 202, body: { id: started.workflowId } };
      },
    }),
    route({
      method: 'get',
      path: '/v1/resource-sets/:id/experiments',
      summary: 'A/B experiments with their groups, verdict and events, newest first',
      role: 'viewer',
      resourceSetParam: 'id',
      params: idParams,
      query: childListQuery,
      responses: {
        200: { description: 'A page of experiments', schema: pageBody(progressBody) },
        404: { description: 'Unknown resource set' },
      },
      async handler({ params, query }) {
        return { status: 200, body: await childPage(ctx, 'experiments', params.id, query) };
      },
    }),
    route({
      method: 'get',
      path: '/v1/resource-sets/:id/experiments/:expId',
      summary: 'One A/B experiment',
      role: 'viewer',
      resourceSetParam: 'id',
      params: experimentParams,
      responses: {
        200: { description: 'The experiment', schema: progressBody },
        404: { description: 'Unknown resource set or experiment' },
      },
      async handler({ params }) {
        await existing(params.id);
        const [recorded] = await listSnapshots(ctx.db, 'experiments', params.id, { limit: 1, id: params.expId });
        return {
          status: 200,
          body: await childProgress(
            ctx,
            params.id,
            'experiment',
            params.expId,
            recorded?.progress,
            experimentProgressQuery,
          ),
        };
      },
    }),
    route({
      method: 'post',
      path: '/v1/resource-sets/:id/experiments/:expId/:action',
      summary:
        'Steer the experiment under way: conclude (judge now), promote (B wins without a judgement) or abort (keep A)',
      role: 'operator',
      resourceSetParam: 'id',
      params: experimentParams.extend({ action: z.enum(['conclude', 'promote', 'abort']) }),
      responses: {
        202: { description: 'Signal delivered' },
        404: { description: 'Unknown resource set' },
        409: { description: 'That experiment is not under way' },
      },
      async handler({ params }) {
        const row = await existing(params.id);
        const state: ResourceSetState = await client.workflow
          .getHandle(row.workflowId)
          .query(stateQuery)
          .catch((err) => loopGone(err, params.id));
        if (state.activeRollout?.workflowId !== params.expId) {
          throw new HttpError(
            409,
            'no_active_experiment',
            `experiment "${params.expId}" is not under way on resource set "${params.id}"`,
          );
        }
        const experiment = client.workflow.getHandle(params.expId);
        if (params.action === 'abort')
          await experiment.signal(abortExperimentSignal, { reason: 'aborted through the API' });
        else await experiment.signal(params.action === 'conclude' ? concludeExperimentSignal : promoteExperimentSignal);
        return { status: 202, body: { accepted: params.action, experiment: params.expId } };
      },
    }),
  ];
}
