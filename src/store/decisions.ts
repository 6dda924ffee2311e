import type { Decision } from '../planner/decision.js';
import type { DemandForecast } from '../forecast/types.js';
import { type Db, isoText } from './db.js';

/** Idempotent by (loopId, iteration): a retried write stores nothing new. */
export async function recordDecision(db: Db, d: Decision): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO decisions (resource_set_id, loop_id, iteration, decided_at, mode, paused, current_instances,
       ready_instances, desired_instances, rule, reasons, inputs, forecast, actions)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
     ON CONFLICT (loop_id, iteration) DO NOTHING`,
    [
      d.resourceSetId,
      d.loopId,
      d.iteration,
      d.decidedAt,
      d.mode,
      d.paused,
      d.currentInstances,
      d.readyInstances,
      d.desiredInstances,
      d.rule,
      JSON.stringify(d.reasons),
      JSON.stringify(d.inputs),
      d.forecast ? JSON.stringify(d.forecast) : null,
      JSON.stringify(d.actions),
    ],
  );
  return rowCount === 1;
}

const columns = `resource_set_id AS "resourceSetId", loop_id AS "loopId", iteration,
  ${isoText('decided_at')} AS "decidedAt", mode, paused, current_instances AS "currentInstances",
  ready_instances AS "readyInstances", desired_instances AS "desiredInstances", rule, reasons, inputs, forecast, actions`;

/**
 * Where a page of decisions ends: Postgres's own text of the decision time (exact to the
 * microsecond), then the iteration and the loop, which break ties between loops of one set.
 */
export interface DecisionPosition {
  decidedAt: string;
  iteration: number;
  loopId: string;
}

/** Newest first, each with its position; `before` starts after a previous page's last. */
export async function listDecisions(
  db: Db,
  resourceSetId: string,
  page: { limit: number; before?: DecisionPosition | undefined },
): Promise<{ decision: Decision; position: DecisionPosition }[]> {
  const { rows } = await db.query<Decision & { decidedAtKey: string }>(
    `SELECT ${columns}, decided_at::text AS "decidedAtKey" FROM decisions
      WHERE resource_set_id = $1 AND ($2::timestamptz IS NULL OR (decided_at, iteration, loop_id) < ($2::timestamptz, $3::integer, $4::text))
      ORDER BY decided_at DESC, iteration DESC, loop_id DESC LIMIT $5`,
    [
      resourceSetId,
      page.before?.decidedAt ?? null,
      page.before?.iteration ?? null,
      page.before?.loopId ?? null,
      page.limit,
    ],
  );
  return rows.map(({ decidedAtKey, ...decision }) => ({
    decision,
    position: { decidedAt: decidedAtKey, iteration: decision.iteration, loopId: decision.loopId },
  }));
}

export async function latestForecast(
  db: Db,
  resourceSetId: string,
): Promise<Pick<Decision, 'decidedAt' | 'forecast'> | undefined> {
  const { rows } = await db.query<Pick<Decision, 'decidedAt' | 'forecast'>>(
    `SELECT ${isoText('decided_at')} AS "decidedAt", forecast FROM decisions
     WHERE resource_set_id = $1 AND forecast IS NOT NULL ORDER BY decided_at DESC, iteration DESC LIMIT 1`,
    [resourceSetId],
  );
  return rows[0];
}

/** What one decision saw and planned, reduced to what a chart of capacity and forecasts needs. */
export interface DecisionPoint {
  /** Epoch seconds. */
  at: number;
  readyInstances: number;
  desiredInstances: number;
  capacityPerInstance: number;
  forecast: Decision['forecast'];
}

/** Decisions made in [from, to) (epoch seconds), oldest first. */
export async function decisionPoints(
  db: Db,
  resourceSetId: string,
  range: { from: number; to: number },
): Promise<DecisionPoint[]> {
  const { rows } = await db.query<DecisionPoint>(
    `SELECT extract(epoch FROM decided_at)::float8 AS at, ready_instances AS "readyInstances", desired_instances AS "desiredInstances",
            (inputs->>'capacityPerInstance')::float8 AS "capacityPerInstance", forecast
       FROM decisions WHERE resource_set_id = $1 AND decided_at >= to_timestamp($2::float8) AND decided_at < to_timestamp($3::float8)
      ORDER BY decided_at, iteration`,
    [resourceSetId, range.from, range.to],
  );
  return rows;
}

/**
 * The forecasts the loop made in [from, to) (epoch seconds), oldest first, with the quantiles the
 * forecast rule reads: what self-calibration replays that rule on.
 */
export async function recordedForecasts(
  db: Db,
  resourceSetId: string,
  from: number,
  to: number,
): Promise<Pick<DemandForecast, 'start' | 'stepSeconds' | 'trusted' | 'quantiles'>[]> {
  const { rows } = await db.query<Pick<DemandForecast, 'start' | 'stepSeconds' | 'trusted' | 'quantiles'>>(
    `SELECT (forecast->>'start')::float8 AS start, (forecast->>'stepSeconds')::float8 AS "stepSeconds",
            (forecast->>'trusted')::boolean AS trusted,
            jsonb_build_object('p90', forecast->'quantiles'->'p90', 'p95', forecast->'quantiles'->'p95') AS quantiles
     FROM decisions WHERE resource_set_id = $1 AND forecast IS NOT NULL
       AND decided_at >= to_timestamp($2) AND decided_at < to_timestamp($3)
     ORDER BY decided_at, iteration`,
    [resourceSetId, from, to],
  );
  return rows;
}
