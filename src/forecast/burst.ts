/**
 * Memory of flash crowds. Bursts come in clusters — a spike that no model saw coming is often
 * followed by more like it within the hour (on the Crane traces, spikes of 3× return every 30–40
 * minutes for an hour or two) — and an instance ordered when the next one starts serves only after
 * it is over. So once an observation exceeds the p99 forecast made for it by a wide margin, the
 * forecast's upper quantiles are held at that level for a while; every further surprise extends
 * the hold, and a higher one raises it. Ordinary noise beyond the p99 (1% of steps, by
 * construction) stays under the margin and is left to the quantiles.
 */
export class BurstMemory {
  private peak = 0;
  private lastSurprise = -Infinity;

  /**
   * @param margin an observation counts as a burst above margin × the p99 forecast for it
   * @param holdSteps steps the level is held after the last burst
   */
  constructor(
    readonly margin: number,
    readonly holdSteps: number,
  ) {}

  /** Step t's observation and the p99 that the forecast made a step before it gave for it. */
  observe(t: number, value: number, upper: number): void {
    if (!(value > this.margin * upper)) return;
    if (t - this.lastSurprise > this.holdSteps || value > this.peak) this.peak = value;
    this.lastSurprise = t;
  }

  /** The level upper quantiles of forecasts made after step t are held at; 0 when no burst is remembered. */
  floor(t: number): number {
    return t - this.lastSurprise <= this.holdSteps ? this.peak : 0;
  }
}
