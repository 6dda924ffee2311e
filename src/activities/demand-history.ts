import { keepRecent } from '../forecast/keep-recent.js';
import type { Series } from '../forecast/types.js';
import type { Db } from '../store/db.js';
import { demandSeries, type TimeRange } from '../store/metrics.js';

/** Steps read again at every call: samples an agent pushes late (a retried batch) still land in them. */
const REREAD_STEPS = 5;

/**
 * Each resource set's demand per step (requests, as demandSeries gives it) kept between forecast
 * calls, so that a call reads the steps since the previous one (and the last few again) instead
 * of the whole window: two weeks are 20,160 rows a call, a minute later five. A revision older
 * than that is not seen until the set's entry is dropped — the kept forecaster never sees it
 * either, as it only takes steps after the last it saw. The least recently used set goes first.
 */
export class DemandHistory {
  private readonly kept = new Map<string, Series>();

  constructor(
    private readonly db: Db,
    private readonly maxSeries = 1024,
  ) {}

  async read(resourceSetId: string, range: TimeRange & { stepSeconds: number }): Promise<Series> {
    const { stepSeconds } = range;
    const start = Math.floor(range.from / stepSeconds) * stepSeconds;
    const end = Math.floor(range.to / stepSeconds) * stepSeconds;
    const kept = this.kept.get(resourceSetId);
    const keptEnd = kept ? kept.start + kept.values.length * kept.stepSeconds : NaN;
    let series: Series;
    if (kept && kept.stepSeconds === stepSeconds && kept.start <= start && start <= keptEnd && keptEnd <= end) {
      const rereadFrom = Math.max(start, keptEnd - REREAD_STEPS * stepSeconds);
      const fresh = await demandSeries(this.db, resourceSetId, { from: rereadFrom, to: range.to, stepSeconds });
      const values = kept.values.slice((start - kept.start) / stepSeconds, (rereadFrom - kept.start) / stepSeconds);
      for (const v of fresh.values) values.push(v);
      series = { start, stepSeconds, values };
    } else {
      series = await demandSeries(this.db, resourceSetId, range);
    }
    keepRecent(this.kept, resourceSetId, series, this.maxSeries);
    // Kept as returned: callers read it (demandRate makes a new series), never change it.
    return series;
  }
}
