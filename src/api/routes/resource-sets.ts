import { WorkflowNotFoundError } from '@temporalio/client';
import { z } from 'zod';
import { resourceSetIdSchema, resourceSetSpecSchema, workflowIdFor, type ResourceSetSpec } from '../../domain/resource-set.js';
import { inTransaction } from '../../store/db.js';
import { getResourceSet, insertResourceSet, listResourceSets, type ResourceSetRow } from '../../store/resource-sets.js';
import { pauseSignal, resumeSignal, stateQuery, type ResourceSetState } from '../../workflows/resource-set-messages.js';
import { resourceSetWorkflow } from '../../workflows/resource-set.js';
import { ResourceSetId, ResourceSetState as ResourceSetStateKey, ScalingMode } from '../../workflows/search-attributes.js';
import type { ApiContext } from '../context.js';
import { HttpError, notFound } from '../http-error.js';
import { route, type Route } from '../route.js';

const idParams = z.strictObject({ id: resourceSetIdSchema });
const listQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  after: resourceSetIdSchema.optional(),
});

const resourceSetBody = z.object({
  id: z.string(), spec: z.record(z.string(), z.unknown()), workflowId: z.string(), createdAt: z.string(),
  temporalUiUrl: z.string().optional(),
});
const stateBody = resourceSetBody.extend({ status: z.record(z.string(), z.unknown()) });

export function resourceSetRoutes(ctx: ApiContext): Route[] {
  const { client } = ctx.temporal;
  const present = (row: ResourceSetRow) => ({
    ...row,
    ...(ctx.temporal.uiUrl ? { temporalUiUrl: `${ctx.temporal.uiUrl}/namespaces/${ctx.temporal.namespace}/workflows/${row.workflowId}` } : {}),
  });
  const existing = async (id: string): Promise<ResourceSetRow> => {
    const row = await getResourceSet(ctx.db, id);
    if (!row) throw notFound('resource set', id);
    return row;
  };
  const workflowGone = (err: unknown, id: string): never => {
    if (err instanceof WorkflowNotFoundError) throw new HttpError(409, 'workflow_not_running', `the workflow of resource set "${id}" is not running`);
    throw err;
  };

  const signalRoute = (action: 'pause' | 'resume', signal: typeof pauseSignal | typeof resumeSignal) => route({
    method: 'post', path: `/v1/resource-sets/:id/${action}`, summary: `${action === 'pause' ? 'Pause' : 'Resume'} a resource set's control loop`,
    params: idParams,
    responses: { 202: { description: 'Signal delivered' }, 404: { description: 'Unknown resource set' } },
    async handler({ params }) {
      const row = await existing(params.id);
      await client.workflow.getHandle(row.workflowId).signal(signal).catch((err) => workflowGone(err, params.id));
      return { status: 202, body: { accepted: action } };
    },
  });

  return [
    route({
      method: 'post', path: '/v1/resource-sets', summary: 'Create a resource set and start its control loop',
      body: resourceSetSpecSchema,
      responses: {
        201: { description: 'Created', schema: resourceSetBody },
        200: { description: 'Already exists with the same spec', schema: resourceSetBody },
        409: { description: 'Exists with a different spec' },
      },
      async handler({ body }) {
        const spec: ResourceSetSpec = body;
        const workflowId = workflowIdFor(spec.id);
        // The row and the workflow start commit together: if Temporal is unreachable nothing is
        // kept, and a retried POST finds either nothing or both.
        const result = await inTransaction(ctx.db, async (tx) => {
          const inserted = await insertResourceSet(tx, spec, workflowId);
          if (inserted.outcome === 'conflict') return inserted;
          await client.workflow.start(resourceSetWorkflow, {
            workflowId, taskQueue: ctx.temporal.taskQueue, args: [{ spec }],
            workflowIdConflictPolicy: 'USE_EXISTING',
            typedSearchAttributes: [
              { key: ResourceSetId, value: spec.id },
              { key: ResourceSetStateKey, value: 'running' },
              { key: ScalingMode, value: spec.policy.mode },
            ],
          });
          return inserted;
        });
        if (result.outcome === 'conflict') {
          throw new HttpError(409, 'conflict', `resource set "${spec.id}" exists with a different spec`, { existing: result.row.spec });
        }
        return { status: result.outcome === 'created' ? 201 : 200, body: present(result.row) };
      },
    }),
    route({
      method: 'get', path: '/v1/resource-sets', summary: 'List resource sets, ordered by id',
      query: listQuery,
      responses: { 200: { description: 'A page of resource sets', schema: z.object({ items: z.array(resourceSetBody), next: z.string().optional() }) } },
      async handler({ query }) {
        const rows = await listResourceSets(ctx.db, query);
        const next = rows.length === query.limit ? rows.at(-1)?.id : undefined;
        return { status: 200, body: { items: rows.map(present), ...(next ? { next } : {}) } };
      },
    }),
    route({
      method: 'get', path: '/v1/resource-sets/:id', summary: 'A resource set with the live state of its control loop',
      params: idParams,
      responses: { 200: { description: 'The resource set', schema: stateBody }, 404: { description: 'Unknown resource set' } },
      async handler({ params }) {
        const row = await existing(params.id);
        const status: ResourceSetState = await client.workflow.getHandle(row.workflowId).query(stateQuery)
          .catch((err) => workflowGone(err, params.id));
        return { status: 200, body: { ...present(row), status } };
      },
    }),
    signalRoute('pause', pauseSignal),
    signalRoute('resume', resumeSignal),
  ];
}
