import type { Client } from '@temporalio/client';
import type { Condition } from '../domain/conditions.js';
import { loopLagSeconds, type ResourceSetReading } from '../observability/resource-set-metrics.js';
import type { Db } from '../store/db.js';
import { listResourceSets, type ResourceSetRow } from '../store/resource-sets.js';
import { stateQuery, type DecisionSummary, type ResourceSetRunState, type ResourceSetState } from '../workflows/resource-set-messages.js';
import { conditionsOf } from './resource-set-conditions.js';

/** A set as the dashboard's overview shows it: /metrics' reading, with the loop's state and last decision. */
export interface ResourceSetOverview extends ResourceSetReading {
  /** Null when the loop did not answer. */
  state: ResourceSetRunState | null;
  lastDecision: DecisionSummary | null;
}

const PAGE = 500;
/** Workflow queries in flight at once: a scrape must not crowd out the loops' own work. */
const CONCURRENCY = 8;

/**
 * Every resource set's loop as /metrics shows it: one state query per set (as GET /v1/resource-sets/:id
 * makes), so a scrape costs a query per set. A set whose loop does not answer reads Ready False.
 */
export async function readResourceSets(db: Db, client: Client, now: number = Date.now()): Promise<ResourceSetOverview[]> {
  const rows: ResourceSetRow[] = [];
  for (let after: string | undefined; ;) {
    const page = await listResourceSets(db, { limit: PAGE, ...(after ? { after } : {}) });
    rows.push(...page);
    if (page.length < PAGE) break;
    after = page.at(-1)!.id;
  }
  const readings: ResourceSetOverview[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < rows.length) readings.push(await readOne(db, client, rows[next++]!, now));
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return readings;
}

async function readOne(db: Db, client: Client, row: ResourceSetRow, now: number): Promise<ResourceSetOverview> {
  let state: ResourceSetState;
  try {
    state = await client.workflow.getHandle(row.workflowId).query(stateQuery);
  } catch (err) {
    const message = `its workflow did not answer: ${(err as Error).message}`;
    const ready: Condition = { type: 'Ready', status: 'False', reason: 'LoopUnreachable', message, since: new Date(now).toISOString() };
    return { id: row.id, state: null, lastDecision: null, desired: null, current: null, forecast: null, loopLagSeconds: null, conditions: [ready] };
  }
  return {
    id: row.id, state: state.state, lastDecision: state.lastDecision, desired: state.desiredInstances, current: state.currentInstances, forecast: state.lastDecision?.predictive ?? null,
    loopLagSeconds: loopLagSeconds(state.lastDecision?.decidedAt ?? null, row.createdAt, state.spec.policy.intervalSeconds, now),
    conditions: await conditionsOf(db, row, state),
  };
}
