import { resourceSetConditions, type Condition } from '../domain/conditions.js';
import type { Db } from '../store/db.js';
import type { ResourceSetRow } from '../store/resource-sets.js';
import { listRollouts } from '../store/rollouts.js';
import type { ResourceSetState } from '../workflows/resource-set-messages.js';
import type { RolloutProgress } from '../workflows/rollout-messages.js';

/** A set's conditions: its loop's (from the workflow's state) with its latest rollout's record. */
export async function conditionsOf(db: Db, row: ResourceSetRow, state: ResourceSetState): Promise<Condition[]> {
  const [latest] = await listRollouts(db, row.id, 1);
  return resourceSetConditions(
    state.conditions,
    (latest?.progress as RolloutProgress | undefined) ?? null,
    state.activeRollout,
    row.createdAt,
  );
}
