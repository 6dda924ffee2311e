import { ApplicationFailure, asyncLocalStorage } from '@temporalio/activity';
import { ForecasterCache } from '../forecast/forecaster-cache.js';
import { DEFAULT_MODELS, isModelName, loadForecasters, type ModelName } from '../forecast/models.js';
import { neuralForecaster } from '../forecast/neural-forecaster.js';
import { demandRate } from '../forecast/series.js';
import { seasonalProfile } from '../forecast/seasonal-profile.js';
import type { CalibratedPoint, DemandForecast, Series } from '../forecast/types.js';
import { peakDemand } from '../planner/plan.js';
import { calibrate, type Objective } from '../sim/calibrate.js';
import { LeadForecasts, leadPeaks } from '../sim/lead-forecasts.js';
import { CANDIDATE_POINTS, FORECAST_POINTS } from '../sim/operating-points.js';
import type { Db } from '../store/db.js';
import { recordedForecasts } from '../store/decisions.js';
import { loadPromotedNeural } from '../store/models.js';
import type { ObjectStore } from '../store/objects/contract.js';
import { DemandHistory } from './demand-history.js';

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
  /** The second of the UTC day at which the day's calibration is re-chosen (default 0, midnight). */
  calibrateAtSecond?: number;
}

export interface CalibrationRequest {
  objective: Objective;
  /** The set's target utilisation: its reactive baseline. */
  target: number;
  /** Demand one instance serves, in the series' unit (req/s). */
  capacityPerInstance: number;
  /** Seconds from ordering an instance to its serving. */
  leadSeconds: number;
  /** The set's own scale-in window, kept while the loop stays reactive for want of history. */
  holdMinutes: number;
}

const DAY_SECONDS = 86_400;
const CALIBRATION_DAYS = 14;
const SCORED_DAYS = 7;
/** Below two days there is no day to warm up on and one to score: the loop stays reactive. */
const MIN_CALIBRATION_DAYS = 2;

/** The first UTC midnight of the last 14 days of the history (so that the seasonal points' hours are clock hours). */
function calibrationStart(history: Series): number {
  const end = history.start + history.values.length * history.stepSeconds;
  return (
    Math.max(Math.ceil(history.start / DAY_SECONDS), Math.floor(end / DAY_SECONDS) - CALIBRATION_DAYS) * DAY_SECONDS
  );
}

/**
 * What the forecast rule would have provisioned for at each minute from `from`: the peaks of the
 * forecasts the loop really made then over the lead time and the minute after, by the minute whose
 * end they were made at. Minutes without a trusted forecast stay empty (the rule is reactive there).
 */
async function recordedLeads(
  db: Db,
  resourceSetId: string,
  from: number,
  asOf: number,
  leadSeconds: number,
): Promise<LeadForecasts> {
  const leads = new LeadForecasts(from / 60, Math.max(0, Math.ceil((asOf - from) / 60)));
  for (const f of await recordedForecasts(db, resourceSetId, from, asOf)) {
    if (!f.trusted) continue;
    leads.record(
      Math.floor(f.start / 60) - 1,
      leadPeaks((q) => peakDemand(f, q, f.start, f.start + leadSeconds + 60) ?? NaN),
    );
  }
  return leads;
}

/**
 * The operating point for the day of `asOf`: the last 14 whole days replayed through every
 * candidate, the forecast rule on the forecasts recorded then; with less than two days, the
 * reactive rule at the set's own target and scale-in window.
 */
function calibrateOn(
  history: Series,
  asOf: number,
  request: CalibrationRequest,
  leads: LeadForecasts,
): Omit<CalibratedPoint, 'seasonalDemand'> {
  const perDay = DAY_SECONDS / history.stepSeconds;
  const from = calibrationStart(history);
  const demand = history.values.slice((from - history.start) / history.stepSeconds);
  if (history.stepSeconds !== 60 || demand.length < MIN_CALIBRATION_DAYS * perDay) {
    const hours = Math.floor((history.values.length * history.stepSeconds) / 3600);
    const why =
      history.stepSeconds !== 60
        ? 'calibration replays 1-minute steps'
        : `${hours} h of history, calibration needs ${MIN_CALIBRATION_DAYS} days from a UTC midnight`;
    return {
      rule: 'reactive',
      target: request.target,
      holdMinutes: request.holdMinutes,
      calibratedAt: asOf,
      summary: `reactive at ${request.target.toFixed(2)} (${why})`,
    };
  }
  const { point, summary } = calibrate({
    demand,
    candidates: [...CANDIDATE_POINTS, ...FORECAST_POINTS],
    objective: request.objective,
    target: request.target,
    leads,
    env: {
      capacity: request.capacityPerInstance,
      readyDelay: Math.max(1, Math.round(request.leadSeconds / 60)),
      startTime: from / 60,
    },
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
  if (!(Number.isInteger(stepSeconds) && stepSeconds > 0 && stepSeconds % 60 === 0))
    invalid('stepSeconds must be a positive multiple of 60');
  if (!(historySeconds > 0 && historySeconds <= MAX_HISTORY_SECONDS))
    invalid(`historySeconds must be in (0, ${MAX_HISTORY_SECONDS}]`);
  if (!(Number.isFinite(asOf) && asOf > 0)) invalid('asOf must be epoch seconds');
  if (seasonSteps !== undefined && !(Number.isInteger(seasonSteps) && seasonSteps > 0))
    invalid('seasonSteps must be a positive whole number when given');
  const at = input.calibrateAtSecond;
  if (at !== undefined && !(Number.isInteger(at) && at >= 0 && at < DAY_SECONDS))
    invalid(`calibrateAtSecond must be a whole number in [0, ${DAY_SECONDS})`);
  const names = input.models ?? DEFAULT_MODELS;
  const unknown = names.filter((n) => !isModelName(n));
  if (unknown.length || names.length === 0) invalid(`unknown or no models: ${unknown.join(', ') || '(none)'}`);
  return names as ModelName[];
}

/**
 * Heartbeats with what comes next, then yields: the SDK encodes and sends a heartbeat only once
 * JavaScript yields, so one recorded inside a synchronous fit would leave when the fit ended. The
 * heartbeat timeout therefore bounds each synchronous stretch between two pulses (model selection,
 * calibration: at most 0.3 s each on 28 days of minutes, measured at a load average of 5 on 2
 * cores), not the whole call. Outside an activity
 * (tests, scripts) it only yields.
 */
async function pulse(next: string): Promise<void> {
  const context = asyncLocalStorage.getStore();
  // A local activity has no heartbeat: its workflow task is what the server watches.
  if (context && !context.info.isLocal) context.heartbeat(next);
  await new Promise((resolve) => setImmediate(resolve));
}

/**
 * The forecast: on the main worker as the loop's local activity, and on the `forecast` queue for
 * loops started before that (each worker keeps its own forecasters).
 */
export function createForecastActivities(deps: ForecastDeps, options: { maxSeries?: number } = {}) {
  const cache = new ForecasterCache(options.maxSeries);
  const demand = new DemandHistory(deps.db, options.maxSeries);
  /** Per set, the day's calibration: it is re-chosen once a day. */
  const calibrations = new Map<string, { signature: string; chosen: Omit<CalibratedPoint, 'seasonalDemand'> }>();
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
        demand.read(resourceSetId, { from: asOf - historySeconds, to: asOf, stepSeconds }).then(demandRate),
        loadPromotedNeural(deps.objects, deps.db, resourceSetId),
        loadForecasters(names),
      ]);
      if (history.values.length === 0) return null;
      await pulse('model selection and fit');
      // A net trained on another step cannot forecast this series; it is left out, not an error.
      const useNeural = neural !== null && neural.model.spec.stepSeconds === stepSeconds;
      const candidates = useNeural ? [...models, neuralForecaster(neural.model)] : models;
      const modelsVersion = [...names, ...(useNeural ? [`neural@${neural.version}`] : [])];
      const forecast = cache.forecast(resourceSetId, {
        history,
        horizonSteps: input.horizonSteps,
        models: candidates,
        modelsVersion: modelsVersion.join(','),
        ...(input.seasonSteps !== undefined ? { seasonSteps: input.seasonSteps } : {}),
      });
      const result: DemandForecast = { ...forecast, candidates: modelsVersion };
      const request = input.calibration;
      if (request && request.capacityPerInstance > 0) {
        const day = Math.floor((asOf - (input.calibrateAtSecond ?? 0)) / DAY_SECONDS);
        const signature = JSON.stringify([day, request]);
        let kept = calibrations.get(resourceSetId);
        if (kept?.signature !== signature) {
          const leads = await recordedLeads(
            deps.db,
            resourceSetId,
            calibrationStart(history),
            asOf,
            request.leadSeconds,
          );
          await pulse('calibration replay');
          calibrations.set(resourceSetId, (kept = { signature, chosen: calibrateOn(history, asOf, request, leads) }));
        }
        result.calibration = { ...kept.chosen, seasonalDemand: seasonalProfile(history, asOf + request.leadSeconds) };
      }
      return result;
    },
  };
}

export type ForecastActivities = ReturnType<typeof createForecastActivities>;
