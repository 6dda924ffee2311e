import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { QueryDefinition } from '@temporalio/common';
import { z } from 'zod';
import { HttpError, notFound } from '../../infra/http-error.js';
import { listSnapshots, type ProgressTable } from '../../store/progress-snapshots.js';
import { getResourceSet, type ResourceSetRow } from '../../store/resource-sets.js';
import { BUSY } from '../../workflows/experiment-messages.js';
import type { ApiContext } from '../context.js';
import { pageOf, pageQuery, pgTimestampText } from '../cursor.js';

/** The set's row, or 404. */
export async function existingSet(ctx: ApiContext, id: string): Promise<ResourceSetRow> {
  const row = await getResourceSet(ctx.db, id);
  if (!row) throw notFound('resource set', id);
  return row;
}

/** A set whose loop has ended cannot be asked anything: 409, not 500. */
export function loopGone(err: unknown, id: string): never {
  if (err instanceof WorkflowNotFoundError)
    throw new HttpError(409, 'workflow_not_running', `the workflow of resource set "${id}" is not running`);
  throw err;
}

/** The rest of a workflow validator's refusal that starts with `prefix` (a refusal the API answers with its own status), else null. */
export function refusedWith(err: unknown, prefix: string): string | null {
  const message = err instanceof WorkflowUpdateFailedError ? (err.cause?.message ?? '') : '';
  return message.startsWith(prefix) ? message.slice(prefix.length).trim() : null;
}

/**
 * What the loop's start-a-child update answered when refused: busy (a rollout, experiment or
 * tuning session under way, or the loop not changing configuration) is 409, any other refusal
 * by its validator 400.
 */
export function updateRefused(err: unknown, id: string): never {
  if (err instanceof WorkflowUpdateFailedError) {
    const message = err.cause?.message ?? err.message;
    if (message.startsWith(BUSY)) throw new HttpError(409, 'busy', message.slice(BUSY.length).trim());
    throw new HttpError(400, 'invalid_request', message);
  }
  return loopGone(err, id);
}

/** A child workflow's progress with a link to its page in the Temporal UI, when the UI is known. */
export function withUiLink(ctx: ApiContext, progress: unknown): Record<string, unknown> {
  return {
    ...(progress as Record<string, unknown>),
    ...(ctx.temporal.uiUrl
      ? {
          temporalUiUrl: `${ctx.temporal.uiUrl}/namespaces/${ctx.temporal.namespace}/workflows/${(progress as { id: string }).id}`,
        }
      : {}),
  };
}

/** The child's recorded progress, else (just started, not yet recorded) what its workflow answers; 404 when neither is the set's. */
export async function childProgress<T extends { resourceSetId: string }>(
  ctx: ApiContext,
  resourceSetId: string,
  what: string,
  workflowId: string,
  recorded: unknown,
  query: QueryDefinition<T>,
): Promise<Record<string, unknown>> {
  const progress =
    recorded ??
    (await ctx.temporal.client.workflow
      .getHandle(workflowId)
      .query(query)
      .then(
        (p) => (p.resourceSetId === resourceSetId ? p : undefined),
        () => undefined,
      ));
  if (!progress) throw notFound(what, workflowId);
  return withUiLink(ctx, progress);
}

const snapshotPosition = z.strictObject({ startedAt: pgTimestampText, id: z.string().min(1).max(300) });

/** The query of a list of a set's rollouts, experiments or tuning sessions. */
export const childListQuery = pageQuery(snapshotPosition, { max: 100, fallback: 20 });

/** A page of a set's rollouts, experiments or tuning sessions, newest first. */
export async function childPage(
  ctx: ApiContext,
  table: ProgressTable,
  resourceSetId: string,
  query: z.infer<typeof childListQuery>,
): Promise<{ items: unknown[]; next?: string }> {
  await existingSet(ctx, resourceSetId);
  const rows = await listSnapshots(ctx.db, table, resourceSetId, { limit: query.limit, before: query.cursor });
  return pageOf(
    rows,
    query.limit,
    ({ startedAt, id }) => ({ startedAt, id }),
    (row) => withUiLink(ctx, row.progress),
  );
}
