import { exactMean } from './exact-sum.js';
import type { Series } from './types.js';

const HOUR_SECONDS = 3600;
const DAY_SECONDS = 86_400;
const DAYS = 7;

/**
 * AWS predictive scaling's forecast: the load of the hour holding `at` is the mean of that hour
 * over the last 7 days (as many as the history holds whole). Null when it holds none.
 */
export function seasonalProfile(history: Series, at: number): number | null {
  const hourStart = Math.floor(at / HOUR_SECONDS) * HOUR_SECONDS;
  const perHour = HOUR_SECONDS / history.stepSeconds;
  const means: number[] = [];
  for (let day = 1; day <= DAYS; day++) {
    const from = (hourStart - day * DAY_SECONDS - history.start) / history.stepSeconds;
    if (from < 0 || from + perHour > history.values.length) continue;
    means.push(exactMean(history.values.slice(from, from + perHour)));
  }
  return means.length ? exactMean(means) : null;
}
