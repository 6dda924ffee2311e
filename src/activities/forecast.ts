import { ApplicationFailure } from '@temporalio/activity';
import { ForecasterCache } from '../forecast/forecaster-cache.js';
import { DEFAULT_MODELS, isModelName, loadForecasters, type ModelName } from '../forecast/models.js';
import { neuralForecaster } from '../forecast/neural-forecaster.js';
import { demandRate } from '../forecast/series.js';
import { seasonalProfile } from '../forecast/seasonal-profile.js';
import type { CalibratedPoint, DemandForecast, Series } from '../forecast/types.js';
import { calibrate, type Objective } from '../sim/calibrate.js';
import { CANDIDATE_POINTS } from '../sim/operating-points.js';
import type { Db } from '../store/db.js';
import { demandSeries } from '../store/metrics.js';
import { loadPromotedNeural } from '../store/models.js';
import type { ObjectStore } from '../store/objects/contract.js';

export interface ForecastDeps {
  db: Db;
  objects: ObjectStore;
}

export interface ForecastDemandInput {
  resourceSetId: string;
  /** Epoch seconds: the history ends here (the loop's observation time, so a retry reads the same window). */
  asOf: number;
  historySeconds: number;
  stepSeconds: number;
  horizonSteps: number;
  /** The main season in steps; detected from the history when absent. */
  seasonSteps?: number;
  /** Models to compare; seasonal naive, SES and MSTL+ETS when absent ("prophet" and "arima" are the costly options). */
  models?: string[];
  /** Also choose the operating point by self-calibration on the set's own history (re-chosen daily). */
  calibration?: CalibrationRequest;
}

export interface CalibrationRequest {
  objective: Objective;
  /** The set's target utilisation: its reactive baseline. */
  target: number;
  /** Demand one instance serves, in the series' unit (req/s). */
  capacityPerInstance: number;
  /** Seconds from ordering an instance to its serving. */
  leadSeconds: number;
}

const DAY_SECONDS = 86_400;
const CALIBRATION_DAYS = 14;
const SCORED_DAYS = 7;
/** Below two days there is no day to warm up on and one to score: the loop stays reactive. */
const MIN_CALIBRATION_DAYS = 2;

/**
 * The operating point for the day of `asOf`: the last 14 whole days (from a UTC midnight, so that
 * the seasonal points' hours are clock hours) replayed through every candidate. Null with less
 * than two days.
 */
function calibrateOn(history: Series, asOf: number, request: CalibrationRequest): Omit<CalibratedPoint, 'seasonalDemand'> | null {
  const perDay = DAY_SECONDS / history.stepSeconds;
  const end = history.start + history.values.length * history.stepSeconds;
  const from = Math.max(Math.ceil(history.start / DAY_SECONDS), Math.floor(end / DAY_SECONDS) - CALIBRATION_DAYS) * DAY_SECONDS;
  const demand = history.values.slice((from - history.start) / history.stepSeconds);
  if (demand.length < MIN_CALIBRATION_DAYS * perDay || history.stepSeconds !== 60) return null;
  const { point, summary } = calibrate({
    demand, candidates: CANDIDATE_POINTS, objective: request.objective, target: request.target,
    env: { capacity: request.capacityPerInstance, readyDelay: Math.max(1, Math.round(request.leadSeconds / 60)), startTime: from / 60 },
    scoredMinutes: Math.min(SCORED_DAYS * perDay, demand.length - perDay),
  });
  return { ...point, calibratedAt: asOf, summary };
}

const MAX_HISTORY_SECONDS = 28 * 86_400;

function invalid(message: string): never {
  throw ApplicationFailure.nonRetryable(message, 'InvalidForecastRequest');
}

function validate(input: ForecastDemandInput): ModelName[] {
  const { horizonSteps, seasonSteps, stepSeconds, historySeconds, asOf } = input;
  if (typeof input.resourceSetId !== 'string' || !input.resourceSetId) invalid('resourceSetId is required');
  if (!(Number.isInteger(horizonSteps) && horizonSteps > 0)) invalid('horizonSteps must be a positive whole number');
  if (!(Number.isInteger(stepSeconds) && stepSeconds > 0 && stepSeconds % 60 === 0)) invalid('stepSeconds must be a positive multiple of 60');
  if (!(historySeconds > 0 && historySeconds <= MAX_HISTORY_SECONDS)) invalid(`historySeconds must be in (0, ${MAX_HISTORY_SECONDS}]`);
  if (!(Number.isFinite(asOf) && asOf > 0)) invalid('asOf must be epoch seconds');
  if (seasonSteps !== undefined && !(Number.isInteger(seasonSteps) && seasonSteps > 0)) invalid('seasonSteps must be a positive whole number when given');
  const names = input.models ?? DEFAULT_MODELS;
  const unknown = names.filter((n) => !isModelName(n));
  if (unknown.length || names.length === 0) invalid(`unknown or no models: ${unknown.join(', ') || '(none)'}`);
  return names as ModelName[];
}

/** Activities of the `forecast` task queue: CPU-bound model work, kept off the workflow queue. */
export function createForecastActivities(deps: ForecastDeps, options: { maxSeries?: number } = {}) {
  const cache = new ForecasterCache(options.maxSeries);
  /** Per set, the day's calibration: it is re-chosen once a day. */
  const calibrations = new Map<string, { signature: string; chosen: Omit<CalibratedPoint, 'seasonalDemand'> | null }>();
  return {
    /**
     * Point and quantile forecast of the resource set's demand (req/s) for the next
     * `horizonSteps` steps after `asOf`, from the model that forecast it best lately — the
     * promoted neural model among the candidates when there is one — with `trusted` (whether
     * the planner should act on it) and `modelError` (that model's MASE against seasonal naive).
     * Null when the set has no recorded demand yet.
     */
    async forecastDemand(input: ForecastDemandInput): Promise<DemandForecast | null> {
      const names = validate(input);
      const { resourceSetId, asOf, historySeconds, stepSeconds } = input;
      const [history, neural, models] = await Promise.all([
        demandSeries(deps.db, resourceSetId, { from: asOf - historySeconds, to: asOf, stepSeconds }).then(demandRate),
        loadPromotedNeural(deps.objects, deps.db, resourceSetId),
        loadForecasters(names),
      ]);
      if (history.values.length === 0) return null;
      // A net trained on another step cannot forecast this series; it is left out, not an error.
      const useNeural = neural !== null && neural.model.spec.stepSeconds === stepSeconds;
      const candidates = useNeural ? [...models, neuralForecaster(neural.model)] : models;
      const modelsVersion = [...names, ...(useNeural ? [`neural@${neural.version}`] : [])];
      const forecast = cache.forecast(resourceSetId, {
        history, horizonSteps: input.horizonSteps, models: candidates, modelsVersion: modelsVersion.join(','),
        ...(input.seasonSteps !== undefined ? { seasonSteps: input.seasonSteps } : {}),
      });
      const result: DemandForecast = { ...forecast, candidates: modelsVersion };
      const request = input.calibration;
      if (request && request.capacityPerInstance > 0) {
        const signature = JSON.stringify([Math.floor(asOf / DAY_SECONDS), request]);
        let kept = calibrations.get(resourceSetId);
        if (kept?.signature !== signature) calibrations.set(resourceSetId, (kept = { signature, chosen: calibrateOn(history, asOf, request) }));
        if (kept.chosen) result.calibration = { ...kept.chosen, seasonalDemand: seasonalProfile(history, asOf + request.leadSeconds) };
      }
      return result;
    },
  };
}

export type ForecastActivities = ReturnType<typeof createForecastActivities>;
