/**
 * The part of the forecast that follows the last observations. A model's forecast is fitted now
 * and then; between fits, and across them, the forecast is the model's path shifted by an offset
 * that exponential smoothing keeps on the path's recent errors (the level equation of
 * ETS(A,N,·) run on what the model did not explain). The model contributes the shape — how
 * demand moves from here — and the nowcast where "here" is.
 */
export class Nowcast {
  /** Starts on the model's own path: a fresh fit has seen the last observation. */
  private offset = 0;

  constructor(readonly alpha: number) {}

  /** Folds in an observation and what the path expected for its step. */
  observe(actual: number, expected: number): void {
    this.offset += this.alpha * (actual - expected - this.offset);
  }

  /** A new path under the same step: the offset moves so that the forecast of that step does not jump. */
  rebase(before: number, after: number): void {
    this.offset += before - after;
  }

  at(expected: number): number {
    return Math.max(0, expected + this.offset);
  }
}
