import { z, ZodError } from 'zod';
import { describeIssues, resourceSetIdSchema } from '../../domain/resource-set.js';
import { HttpError, notFound } from '../../infra/http-error.js';
import { releaseForRecommendation } from '../../store/recommendation-releases.js';
import { getRecommendation, listRecommendations, markApplied } from '../../store/recommendations.js';
import { setReleaseUpdate, stateQuery, type ResourceSetState } from '../../workflows/resource-set-messages.js';
import type { ApiContext } from '../context.js';
import { route, type Route } from '../route.js';
import { existingSet, loopGone } from './resource-set-lookup.js';

const idParams = z.strictObject({ id: resourceSetIdSchema });
const recommendationParams = idParams.extend({ rid: z.coerce.number().int().min(1).max(2_147_483_647) });

/**
 * The configuration recommender's proposals (policy.configuration): listed with their expected
 * gain and reason; one still open can be applied by an operator — it becomes a template version
 * and goes out through the set's staged canary rollout, like any version.
 */
export function recommendationRoutes(ctx: ApiContext): Route[] {
  const { client } = ctx.temporal;
  const existing = (id: string) => existingSet(ctx, id);

  return [
    route({
      method: 'get',
      path: '/v1/resource-sets/:id/recommendations',
      summary:
        'Configuration recommendations (instance type, app parameters) with expected gain, reason and status, newest first',
      role: 'viewer',
      resourceSetParam: 'id',
      params: idParams,
      query: z.strictObject({
        limit: z.coerce.number().int().min(1).max(100).default(20),
        status: z.enum(['open', 'applied', 'superseded']).optional(),
      }),
      responses: {
        200: {
          description: 'Recommendations',
          schema: z.object({ items: z.array(z.record(z.string(), z.unknown())) }),
        },
        404: { description: 'Unknown resource set' },
      },
      async handler({ params, query }) {
        await existing(params.id);
        return { status: 200, body: { items: await listRecommendations(ctx.db, params.id, query) } };
      },
    }),
    route({
      method: 'post',
      path: '/v1/resource-sets/:id/recommendations/:rid/apply',
      summary:
        'Apply an open recommendation: it becomes a template version and the set rolls it out through its canary steps',
      role: 'operator',
      resourceSetParam: 'id',
      params: recommendationParams,
      responses: {
        202: {
          description: 'Applied: the configuration state, with the new version as desired',
          schema: z.record(z.string(), z.unknown()),
        },
        404: { description: 'Unknown resource set or recommendation' },
        409: { description: 'Not open any more, or made against a release that no longer runs' },
      },
      async handler({ params }) {
        const set = await existing(params.id);
        const row = await getRecommendation(ctx.db, params.id, params.rid);
        if (!row) throw notFound('recommendation', String(params.rid));
        if (row.status !== 'open') throw new HttpError(409, 'not_open', `recommendation ${row.id} is ${row.status}`);
        const handle = client.workflow.getHandle(set.workflowId);
        const state: ResourceSetState = await handle.query(stateQuery).catch((err) => loopGone(err, params.id));
        if (state.config.stable.revision !== row.baseRevision) {
          throw new HttpError(
            409,
            'stale',
            `recommendation ${row.id} was made against configuration revision ${row.baseRevision}; the set now runs ${state.config.stable.revision}`,
          );
        }
        const release = await releaseForRecommendation(ctx.db, ctx.objects, row, state.config.stable).catch(
          (err: unknown) => {
            if (err instanceof ZodError)
              throw new HttpError(
                409,
                'not_applicable',
                `recommendation ${row.id} does not make a valid template: ${describeIssues(err)}`,
              );
            throw err;
          },
        );
        const config = await handle
          .executeUpdate(setReleaseUpdate, { args: [{ release }] })
          .catch((err) => loopGone(err, params.id));
        await markApplied(ctx.db, row.id, { template: release.template!, version: release.version! });
        return { status: 202, body: config };
      },
    }),
  ];
}
