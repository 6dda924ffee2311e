import { resourceSetConditions, type Condition } from '../domain/conditions.js';
import { loopLagSeconds, type ResourceSetReading } from '../observability/resource-set-metrics.js';
import type { PlanRule } from '../planner/plan.js';
import type { Db } from '../store/db.js';
import { loopViews, type LoopView } from '../store/loop-status.js';
import type { DecisionSummary, ResourceSetRunState } from '../workflows/resource-set-messages.js';
import type { RolloutProgress } from '../workflows/rollout-messages.js';

/** A set as the dashboard's overview shows it: /metrics' reading, with the loop's state and last decision. */
export interface ResourceSetOverview extends ResourceSetReading {
  /** Null when the loop did not answer. */
  state: ResourceSetRunState | null;
  lastDecision: DecisionSummary | null;
}

/**
 * Lag after which a loop counts as stalled (its last status no longer says how it goes): three
 * intervals, but never less than the longest an iteration may wait on provisioning (15 min).
 */
const stallAfterSeconds = (intervalSeconds: number): number => Math.max(3 * intervalSeconds, 900);

/**
 * Every resource set's loop as /metrics and the overview show it, read from the store — each
 * set's latest decision, the status its loop writes when it changes, its latest rollout — so a
 * scrape costs a few SQL statements whatever the number of sets, and answers while Temporal or
 * the workers are down. A loop that has not decided for long (stallAfterSeconds) reads Ready
 * False (LoopStalled) unless another condition already says why.
 */
export async function readResourceSets(db: Db, now: number = Date.now()): Promise<ResourceSetOverview[]> {
  return (await loopViews(db)).map((view) => readOne(view, now));
}

function readOne(view: LoopView, now: number): ResourceSetOverview {
  const { status, decision: d } = view;
  const lastDecision: DecisionSummary | null = d && {
    iteration: d.iteration,
    decidedAt: d.decidedAt,
    desired: d.desired,
    current: d.current,
    rule: d.rule as PlanRule,
    reasons: d.reasons,
    model: d.model,
    predictive: d.predictive,
  };
  const loopLag = loopLagSeconds(d?.decidedAt ?? null, view.createdAt, view.intervalSeconds, now);
  const conditions = resourceSetConditions(
    status?.conditions,
    (view.rollout?.progress as RolloutProgress | undefined) ?? null,
    status?.activeRollout ?? null,
    view.createdAt,
  );
  return {
    id: view.id,
    state: status?.state ?? (d?.paused ? 'paused' : 'running'),
    lastDecision,
    desired: d?.desired ?? null,
    current: d?.after ?? null,
    forecast: d?.predictive ?? null,
    loopLagSeconds: loopLag,
    conditions:
      loopLag > stallAfterSeconds(view.intervalSeconds) ? stalled(conditions, view, loopLag, now) : conditions,
  };
}

function stalled(conditions: Condition[], view: LoopView, lag: number, now: number): Condition[] {
  const [ready, ...rest] = conditions;
  if (ready?.status === 'False') return conditions;
  const since = new Date(now - (lag - stallAfterSeconds(view.intervalSeconds)) * 1000).toISOString();
  const message = `no decision recorded for ${Math.round(lag + view.intervalSeconds)} s (interval ${view.intervalSeconds} s): the loop is stalled, stopped or its workers are down`;
  return [{ type: 'Ready', status: 'False', reason: 'LoopStalled', message, since }, ...rest];
}
