import { simulateFleet } from './fleet.js';
import { requiredInstances } from './fleet-model.js';
import type { LeadPeaks } from './lead-forecasts.js';
import { describePoint, pointPolicy, reactivePoint, type OperatingPoint } from './operating-points.js';
import { oracle } from './policies/oracle.js';
import type { PolicyEnv } from './policy.js';
import { paidMinutes } from './score.js';

/**
 * What a resource set wants from its scaling, as self-calibration weighs it. With a budget, the
 * cheapest point whose backtest stays within it; with a price, the point of least paid
 * instance-minutes plus the price of its short minutes; with neither, the budget is what the
 * reactive rule at the set's target utilisation would have had on the same window — the HPA the
 * user would otherwise run — so that predictive promises no more shortage for less money.
 */
export interface Objective {
  /** Short minutes allowed, % of minutes. */
  maxShortMinutesPct?: number | undefined;
  /** Instance-minutes one short minute is worth. */
  costOfShortMinute?: number | undefined;
}

export interface PointScore {
  point: OperatingPoint;
  shortMinutes: number;
  /** Minutes it would have been short had demand been `headroom` higher (0 without headroom). */
  tightMinutes: number;
  /** Paid instance-minutes. */
  paid: number;
}

export interface Calibration {
  point: OperatingPoint;
  /** The chosen point's backtest, and the reactive rule's at the target. */
  chosen: PointScore;
  baseline: PointScore;
  /** Minutes scored and the least paid instance-minutes without a short minute over them. */
  minutes: number;
  oraclePaid: number;
  scores: PointScore[];
  /** People-readable: "seasonal at 0.80: 7-day backtest 0.40 % short at 1.12 × the least cost (reactive at 0.70: 0.52 % at 1.36 ×)". */
  summary: string;
}

export interface CalibrationInput {
  /** The history, on 1-minute steps, oldest first; a whole number of days when the points follow the clock. */
  demand: readonly number[];
  env: Pick<PolicyEnv, 'capacity' | 'readyDelay' | 'startTime'>;
  candidates: readonly OperatingPoint[];
  objective: Objective;
  /** The set's target utilisation: the reactive baseline is scored at it. */
  target: number;
  /** Minutes at the end of the history that are scored; the ones before only warm the points up. */
  scoredMinutes: number;
  /** The forecasts made over the history, for forecast points. */
  leads?: LeadPeaks;
  /**
   * How many utilisation steps below the chosen point the set then runs: the best point of a past
   * window is, by being chosen, the one whose luck was best, and the next days are rarely as kind.
   */
  safetySteps?: number;
  /**
   * The steps lower instead when the reactive baseline had no short minute on the window: every
   * point without one then ties with it on shortage, and the cheapest of them — the one nearest
   * the edge — would win with no margin at all.
   */
  safetyStepsWithoutShortage?: number;
  /**
   * With the default objective, how the points no worse than the baseline are ranked: by their
   * smaller relative gain (neither count traded for the other), or by the sum of both gains.
   */
  ranking?: Ranking;
  /**
   * With the default objective, points are also weighed on the minutes they would have been short
   * had demand been this fraction higher: short minutes are rare, so a week of them tells a lucky
   * point from a safe one poorly; minutes near the edge are many. 0: short minutes only.
   */
  headroom?: number;
  /**
   * Whether the steps lower stay within the reactive baseline's cost on the window: a lower point
   * that would have cost more than the baseline is a trade the objective refuses, not a margin, so
   * the baseline itself is run instead.
   */
  stepsWithinCost?: boolean;
}

export type Ranking = 'smaller-gain' | 'sum-of-gains';

export type Choice = Required<
  Pick<CalibrationInput, 'safetySteps' | 'safetyStepsWithoutShortage' | 'ranking' | 'headroom' | 'stepsWithinCost'>
>;

/**
 * How the live loop and the backtest choose unless told otherwise (bench/RESULTS.md, "Scaling
 * quality v2", in-sample and leave-one-trace-out against the previous choice): the sum of gains,
 * since the smaller gain stopped at a small cost gain where the seasonal rule had far fewer short
 * minutes for a little more (Twitter AMZN); one step lower where the reactive rule had no short
 * minute (Azure 2019 CPU, where the cheapest point without one was short the next days), but
 * never to a point costlier than the reactive rule (World Cup 98, where such steps cost 4–8 %
 * more for no short minute saved).
 */
export const DEFAULT_CHOICE: Choice = {
  safetySteps: 0,
  safetyStepsWithoutShortage: 1,
  ranking: 'sum-of-gains',
  headroom: 0,
  stepsWithinCost: true,
};

/**
 * Self-calibration, rolling origin: replays the set's own history through every candidate point
 * in the fleet model, scores the last `scoredMinutes`, and chooses by the objective. Pure and
 * deterministic.
 */
export function calibrate(input: CalibrationInput): Calibration {
  const { demand, env, candidates, objective, target } = input;
  const n = demand.length;
  const from = Math.max(0, n - input.scoredMinutes);
  if (from >= n) throw new RangeError('calibration needs minutes to score');
  const required = requiredInstances(demand, env.capacity);
  const headroom = input.headroom ?? DEFAULT_CHOICE.headroom;
  const stressed =
    headroom > 0
      ? requiredInstances(
          demand.map((d) => d * (1 + headroom)),
          env.capacity,
        )
      : required;
  const policyEnv: PolicyEnv = { ...env, target, minutes: n };
  const run = (point: OperatingPoint): PointScore => {
    const { supply, paid } = simulateFleet(pointPolicy(point, policyEnv, input.leads), demand, {
      readyDelay: env.readyDelay,
      initial: required[0]!,
    });
    let shortMinutes = 0;
    let tightMinutes = 0;
    for (let t = from; t < n; t++) {
      if (supply[t]! < required[t]!) shortMinutes++;
      if (headroom > 0 && supply[t]! < stressed[t]!) tightMinutes++;
    }
    return { point, shortMinutes, tightMinutes, paid: paidMinutes(paid, from) };
  };
  const scores = candidates.map(run);
  const baseline = run(reactivePoint(target));
  const steps =
    baseline.shortMinutes === 0
      ? (input.safetyStepsWithoutShortage ?? DEFAULT_CHOICE.safetyStepsWithoutShortage)
      : (input.safetySteps ?? DEFAULT_CHOICE.safetySteps);
  const withinCost = input.stepsWithinCost ?? DEFAULT_CHOICE.stepsWithinCost;
  const chosen = safer(
    choose(scores, objective, baseline, n - from, input.ranking ?? DEFAULT_CHOICE.ranking),
    scores,
    steps,
    withinCost ? baseline : null,
  );
  const oraclePaid = paidMinutes(
    simulateFleet(oracle(required, env.readyDelay), demand, { readyDelay: env.readyDelay, initial: required[0]! }).paid,
    from,
  );
  const minutes = n - from;
  const figures = (s: PointScore): string =>
    `${((100 * s.shortMinutes) / minutes).toFixed(2)} % short at ${(s.paid / oraclePaid).toFixed(2)} × the least cost`;
  const days = minutes / 1440;
  const summary = `${describePoint(chosen.point)}: ${days >= 1 ? `${Math.round(days)}-day` : `${minutes}-minute`} backtest ${figures(chosen)} (${describePoint(baseline.point)}: ${figures(baseline)})`;
  return { point: chosen.point, chosen, baseline, minutes, oraclePaid, scores, summary };
}

function choose(
  scores: readonly PointScore[],
  objective: Objective,
  baseline: PointScore,
  minutes: number,
  ranking: Ranking,
): PointScore {
  const { maxShortMinutesPct, costOfShortMinute } = objective;
  if (maxShortMinutesPct === undefined && costOfShortMinute === undefined)
    return balancedGain(scores, baseline, ranking);
  if (maxShortMinutesPct === undefined) return least(scores, (s) => s.paid + costOfShortMinute! * s.shortMinutes);
  const budget = (maxShortMinutesPct / 100) * minutes;
  const within = scores.filter((s) => s.shortMinutes <= budget);
  if (within.length === 0) return least(scores, (s) => s.shortMinutes * 1e12 + s.paid);
  // A price, when given beside the budget, weighs the points within it.
  return least(within, (s) => s.paid + (costOfShortMinute ?? 0) * s.shortMinutes);
}

/**
 * The default: of the points no worse than the reactive baseline on both counts, the one whose
 * smaller gain — in short minutes or in cost — is largest, so that neither is traded away for the
 * other (or, ranked 'sum-of-gains', whose gains add up most); the baseline itself when none is.
 * Short minutes are counted with one added, so that a window without any does not make every
 * point's gain in them look alike.
 */
function balancedGain(scores: readonly PointScore[], baseline: PointScore, ranking: Ranking): PointScore {
  const gains = (s: PointScore): [number, number] => {
    const short = 1 - (s.shortMinutes + s.tightMinutes + 1) / (baseline.shortMinutes + baseline.tightMinutes + 1);
    const cost = 1 - s.paid / baseline.paid;
    return [ranking === 'smaller-gain' ? Math.min(short, cost) : short + cost, short + cost];
  };
  const better = scores.filter(
    (s) =>
      s.shortMinutes <= baseline.shortMinutes && s.tightMinutes <= baseline.tightMinutes && s.paid <= baseline.paid,
  );
  // Ties on the smaller gain go to the larger sum.
  return better.length === 0
    ? baseline
    : least(better, (s) => {
        const [low, sum] = gains(s);
        return -(low * 1e6 + sum);
      });
}

/**
 * The same rule `steps` utilisations lower among the candidates, or the lowest there is; with a
 * `budget`, only among the points that cost no more than it, and the budget's own point where none does.
 */
function safer(
  chosen: PointScore,
  scores: readonly PointScore[],
  steps: number,
  budget: PointScore | null,
): PointScore {
  const { rule, holdMinutes, target } = chosen.point;
  const lower = scores
    .filter(
      (s) =>
        s.point.rule === rule &&
        s.point.holdMinutes === holdMinutes &&
        s.point.target < target &&
        (!budget || s.paid <= budget.paid),
    )
    .sort((a, b) => b.point.target - a.point.target);
  if (steps === 0) return chosen;
  if (lower.length === 0) return budget ?? chosen;
  return lower[Math.min(steps, lower.length) - 1]!;
}

function least(scores: readonly PointScore[], by: (s: PointScore) => number): PointScore {
  return scores.reduce((best, s) => (by(s) < by(best) ? s : best));
}
