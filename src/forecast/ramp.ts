/**
 * Whether demand's last rise is worth extrapolating. Series recorded coarsely and interpolated,
 * or driven by smooth daily ramps, climb steadily for several steps, and a forecast that lags the
 * climb by a step is one instance short when the count crosses a whole number. Noisy series
 * (request counts per minute) rise and fall at random, and extrapolating their last step only
 * buys excess. So this keeps score: for each forecast it also scores the same point plus the last
 * step's rise, against what came `steps` steps later, and the upper quantiles are raised by the
 * rise only while that has lately been the better forecast.
 */
export class RampCheck {
  private last = NaN;
  private rise = 0;
  /** Smoothed absolute errors of the point forecast, and of the point plus the rise. */
  private plain = 0;
  private raised = 0;
  private readonly pending: ({ step: number; point: number; rise: number } | undefined)[];

  /**
   * @param steps how far ahead the forecasts checked are
   * @param alpha smoothing constant of the error scores (small: a verdict over many ramps)
   */
  constructor(
    readonly steps: number,
    readonly alpha: number,
  ) {
    this.pending = new Array<{ step: number; point: number; rise: number } | undefined>(steps + 1);
  }

  observe(t: number, value: number): void {
    const made = this.pending[t % (this.steps + 1)];
    if (made?.step === t) {
      this.plain += this.alpha * (Math.abs(value - made.point) - this.plain);
      this.raised += this.alpha * (Math.abs(value - made.point - made.rise) - this.raised);
    }
    if (!Number.isNaN(this.last)) this.rise = value - this.last;
    this.last = value;
  }

  /** After step t, given the point forecast of step t + steps: what to add to the upper quantiles. */
  extra(t: number, point: number): number {
    this.pending[(t + this.steps) % (this.steps + 1)] = { step: t + this.steps, point, rise: this.rise };
    return this.raised < this.plain ? Math.max(0, this.rise) : 0;
  }
}
