import type { ActiveChangeFacts, Condition, LoopConditionType } from '../domain/conditions.js';
import { type Db, isoText } from './db.js';

/** What a loop reports of itself between decisions: what the state query would answer of it. */
export interface LoopStatus {
  resourceSetId: string;
  loopId: string;
  iteration: number;
  state: 'running' | 'paused' | 'stopping';
  /** The loop's own conditions (Observing, Forecasting, Provisioning); empty before its first iteration. */
  conditions: Condition<LoopConditionType>[];
  /** The rollout, experiment or tuning session under way. */
  activeRollout: ActiveChangeFacts | null;
}

/**
 * Upserts a loop's status. A write from an earlier iteration of the same loop (a retry that lost
 * a race) never replaces a later one; another loop (the set recreated) always does.
 */
export async function recordLoopStatus(db: Db, s: LoopStatus): Promise<void> {
  await db.query(
    `INSERT INTO loop_status AS l (resource_set_id, loop_id, iteration, state, conditions, active_rollout)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (resource_set_id) DO UPDATE SET loop_id = EXCLUDED.loop_id, iteration = EXCLUDED.iteration, state = EXCLUDED.state,
       conditions = EXCLUDED.conditions, active_rollout = EXCLUDED.active_rollout, updated_at = now()
       WHERE l.loop_id <> EXCLUDED.loop_id OR l.iteration <= EXCLUDED.iteration`,
    [
      s.resourceSetId,
      s.loopId,
      s.iteration,
      s.state,
      JSON.stringify(s.conditions),
      s.activeRollout ? JSON.stringify(s.activeRollout) : null,
    ],
  );
}

/** A set's latest decision, as the loop's `lastDecision` summarises it, with the instances its actions left. */
export interface LatestDecision {
  iteration: number;
  decidedAt: string;
  desired: number;
  current: number;
  /** current plus the instances its actions launched, less those they removed. */
  after: number;
  paused: boolean;
  rule: string;
  reasons: string[];
  model: string | null;
  predictive: number | null;
}

/** Every resource set with what the store knows of its loop: a few queries whatever the number of sets. */
export interface LoopView {
  id: string;
  createdAt: string;
  intervalSeconds: number;
  /** Null before the loop wrote one (or when the row is an earlier set's of the same id). */
  status: Pick<LoopStatus, 'state' | 'conditions' | 'activeRollout'> | null;
  decision: LatestDecision | null;
  /** The latest rollout's record (newest by start). */
  rollout: { id: string; kind: string; status: string; startedAt: string; progress: unknown } | null;
}

const PAGE = 1000;

/**
 * Pages through the sets by id; each page is one statement joining each set's status, latest
 * decision and latest rollout (index lookups: the decisions and rollouts tables are read one row
 * per set). Rows older than the set (an earlier set of the same id) are left out.
 */
export async function loopViews(db: Db): Promise<LoopView[]> {
  const views: LoopView[] = [];
  for (let after: string | null = null; ;) {
    const { rows }: { rows: LoopView[] } = await db.query<LoopView>(
      `SELECT r.id, ${isoText('r.created_at')} AS "createdAt", coalesce((r.spec->'policy'->>'intervalSeconds')::int, 60) AS "intervalSeconds",
              CASE WHEN l.resource_set_id IS NULL THEN NULL
                ELSE jsonb_build_object('state', l.state, 'conditions', l.conditions, 'activeRollout', l.active_rollout) END AS status,
              CASE WHEN d.iteration IS NULL THEN NULL ELSE jsonb_build_object(
                'iteration', d.iteration, 'decidedAt', ${isoText('d.decided_at')}, 'desired', d.desired_instances, 'current', d.current_instances,
                'after', d.current_instances + d.acted, 'paused', d.paused, 'rule', d.rule, 'reasons', d.reasons,
                'model', d.inputs->'model', 'predictive', d.inputs->'predictive') END AS decision,
              CASE WHEN o.id IS NULL THEN NULL ELSE jsonb_build_object(
                'id', o.id, 'kind', o.kind, 'status', o.status, 'startedAt', ${isoText('o.started_at')}, 'progress', o.progress) END AS rollout
         FROM resource_sets r
         LEFT JOIN loop_status l ON l.resource_set_id = r.id AND l.updated_at >= r.created_at
         LEFT JOIN LATERAL (
           SELECT iteration, decided_at, desired_instances, current_instances, paused, rule, reasons, inputs,
                  (SELECT coalesce(sum(CASE WHEN a->>'kind' = 'provision' THEN (a->>'count')::int ELSE -(a->>'count')::int END), 0)
                     FROM jsonb_array_elements(actions) a)::int AS acted
             FROM decisions WHERE resource_set_id = r.id AND decided_at >= date_trunc('second', r.created_at)
            ORDER BY decided_at DESC, iteration DESC LIMIT 1) d ON true
         LEFT JOIN LATERAL (
           SELECT id, kind, status, started_at, progress FROM rollouts WHERE resource_set_id = r.id ORDER BY started_at DESC, id DESC LIMIT 1) o ON true
        WHERE ($1::text IS NULL OR r.id > $1)
        ORDER BY r.id LIMIT $2`,
      [after, PAGE],
    );
    views.push(...rows);
    if (rows.length < PAGE) return views;
    after = rows.at(-1)!.id;
  }
}
