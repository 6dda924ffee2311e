import { pinball, QUANTILE_NAMES } from './calibration.js';
import type { Forecaster } from './forecaster.js';
import { Nowcast } from './nowcast.js';
import { quantileOfSorted } from './quantile.js';
import { QUANTILES, type Series } from './types.js';

/** How a rolling-origin backtest runs; steps throughout. */
export interface BacktestSetup {
  /** Periods, the main one first; the seasonal naive benchmark repeats the main one (1 without). */
  seasons: readonly number[];
  /** Steps ahead each forecast covers and is scored on. */
  horizon: number;
  /** Steps of history a model is fitted on. */
  fitWindow: number;
  /** Forecast origins, one every `span` steps, the last `span` steps before now. At least 2. */
  origins: number;
  span: number;
  /** Nowcast smoothing constants to try with each model. */
  alphas: readonly number[];
}

/** One model with one nowcast constant, scored over every origin. */
export interface CandidateScore {
  model: string;
  alpha: number;
  /** Mean absolute error of the point forecasts ÷ seasonal naive's over the same steps (MASE): < 1 beats it. */
  mase: number;
  /** Mean absolute error ÷ that of the last season's median, the best flat forecast for absolute errors: < 1 says it knows more than the typical level. */
  vsMedian: number;
  /** Mean pinball loss over p50, p90, p95, p99 ÷ seasonal naive's, quantiles calibrated out of sample. */
  pinball: number;
}

export interface Selection {
  best: CandidateScore;
  forecaster: Forecaster;
  /** Every candidate that could run, best first. */
  scores: CandidateScore[];
  /** Whether the planner should act on this forecast: see selectModel. */
  trusted: boolean;
  /** The best candidate's backtest errors per horizon step (0-based): its quantiles start from these. */
  errors: number[][];
  /** People-readable verdict. */
  reason: string;
}

/** Errors per origin, per horizon step (0-based). */
type Errors = number[][][];

function meanAbs(errors: Errors): number {
  let sum = 0;
  let n = 0;
  for (const origin of errors)
    for (const step of origin)
      for (const e of step) {
        sum += Math.abs(e);
        n++;
      }
  return n ? sum / n : NaN;
}

/**
 * Mean pinball loss over the quantiles, each origin's quantiles taken from the other origins'
 * errors (leave one origin out), so that no forecast is judged by quantiles that saw its errors.
 */
function crossValidatedPinball(errors: Errors): number {
  let loss = 0;
  let n = 0;
  const horizon = errors[0]?.length ?? 0;
  for (let h = 0; h < horizon; h++) {
    const pooled = errors.map((origin) => origin[h]!);
    const total = pooled.reduce((sum, e) => sum + e.length, 0);
    pooled.forEach((own, k) => {
      const others = new Float64Array(total - own.length);
      let i = 0;
      pooled.forEach((e, j) => {
        if (j !== k) for (const v of e) others[i++] = v;
      });
      if (others.length === 0) return;
      others.sort();
      for (const name of QUANTILE_NAMES) {
        const q = QUANTILES[name];
        const offset = quantileOfSorted(others, q);
        for (const e of own) {
          loss += pinball(e, offset, q);
          n++;
        }
      }
    });
  }
  return n ? loss / n : NaN;
}

/** a ÷ b, where a perfect forecast (a = 0) scores 0 even against a perfect benchmark. */
const ratio = (a: number, b: number): number => (a === 0 ? 0 : a / b);

const emptyErrors = (origins: number, horizon: number): Errors =>
  Array.from({ length: origins }, () => Array.from({ length: horizon }, () => []));

/**
 * Picks the model and nowcast constant that forecast the recent past best, by a rolling-origin
 * backtest (Tashman 2000): at each origin every model is fitted on the history up to it only, and
 * the forecasts the nowcast makes from its path over the next `span` steps — each step ahead up to
 * the horizon — are scored against what came. The best has the least pinball loss: the planner
 * provisions for quantiles, so their accuracy is what matters. MASE and pinball are reported
 * relative to seasonal naive forecasts of the same steps.
 *
 * The forecast is trusted when the history holds two of the main season and the best candidate
 * beats both benchmarks, repeating the last season (MASE < 1) and holding at its median
 * (vsMedian < 1): on noise that no model explains — flash crowds out of the blue — no forecast
 * beats the median, the best flat forecast under absolute error. `y[end]` is the newest
 * observation; null when the history is too short for the origins.
 */
export function selectModel(
  y: readonly number[],
  end: number,
  history: Pick<Series, 'start' | 'stepSeconds'>,
  models: readonly Forecaster[],
  setup: BacktestSetup,
): Selection | null {
  const { seasons, horizon, fitWindow, origins, span, alphas } = setup;
  const m = seasons[0] ?? 1;
  const first = end - origins * span;
  if (origins < 2 || first < m) return null;

  const naive = emptyErrors(origins, horizon);
  const flat = emptyErrors(origins, horizon);
  for (let k = 0; k < origins; k++) {
    const origin = first + k * span;
    const median = quantileOfSorted(Float64Array.from(y.slice(origin - m + 1, origin + 1)).sort(), 0.5);
    for (let s = origin; s < origin + span && s < end; s++) {
      for (let h = 1; h <= horizon && s + h <= end; h++) {
        naive[k]![h - 1]!.push(y[s + h]! - y[s + h - m]!);
        flat[k]![h - 1]!.push(y[s + h]! - median);
      }
    }
  }
  const naiveMae = meanAbs(naive);
  const flatMae = meanAbs(flat);
  const naivePinball = crossValidatedPinball(naive);

  const candidates: { score: CandidateScore; forecaster: Forecaster; errors: Errors }[] = [];
  for (const forecaster of models) {
    const paths: number[][] = [];
    for (let k = 0; k < origins; k++) {
      const origin = first + k * span;
      const from = Math.max(0, origin + 1 - fitWindow);
      if (origin + 1 - from < forecaster.minHistory(seasons)) break;
      const fit: Series = {
        start: history.start + from * history.stepSeconds,
        stepSeconds: history.stepSeconds,
        values: y.slice(from, origin + 1),
      };
      paths.push(forecaster.forecast(fit, span + horizon, seasons).point);
    }
    // A model that cannot forecast from every origin is not compared on fewer.
    if (paths.length < origins) continue;
    for (const alpha of alphas) {
      const errors = emptyErrors(origins, horizon);
      paths.forEach((path, k) => {
        const origin = first + k * span;
        const nowcast = new Nowcast(alpha);
        for (let s = origin; s < origin + span && s < end; s++) {
          if (s > origin) nowcast.observe(y[s]!, path[s - origin - 1]!);
          for (let h = 1; h <= horizon && s + h <= end; h++)
            errors[k]![h - 1]!.push(y[s + h]! - nowcast.at(path[s + h - origin - 1]!));
        }
      });
      const mae = meanAbs(errors);
      candidates.push({
        forecaster,
        errors,
        score: {
          model: forecaster.name,
          alpha,
          mase: ratio(mae, naiveMae),
          vsMedian: ratio(mae, flatMae),
          pinball: ratio(crossValidatedPinball(errors), naivePinball),
        },
      });
    }
  }
  if (candidates.length === 0) return null;
  candidates.sort((a, b) => a.score.pinball - b.score.pinball);
  const chosen = candidates[0]!;
  const { score } = chosen;
  const enough = end + 1 >= 2 * m;
  const trusted = enough && score.mase < 1 && score.vsMedian < 1;
  const verdict = `${score.model} (nowcast α ${score.alpha}) on the last ${origins * span} steps: MASE ${score.mase.toFixed(2)}, pinball ${score.pinball.toFixed(2)} × seasonal naive's, error ${score.vsMedian.toFixed(2)} × the season median's`;
  const doubt = !enough
    ? `; less than two seasons (${2 * m} steps) of history`
    : score.mase >= 1
      ? '; no better than seasonal naive'
      : score.vsMedian >= 1
        ? '; no better than the season median: noise no model explains'
        : '';
  return {
    best: score,
    forecaster: chosen.forecaster,
    scores: candidates.map((c) => c.score),
    trusted,
    errors: Array.from({ length: horizon }, (_, h) => chosen.errors.flatMap((origin) => origin[h]!)),
    reason: `${trusted ? 'trusted' : 'not trusted'}: ${verdict}${doubt}`,
  };
}
