/** Throws unless both samples are non-empty and hold only finite numbers: NaN has no rank. */
export function assertUsableSamples(x: readonly number[], y: readonly number[]): void {
  if (x.length === 0 || y.length === 0) throw new RangeError('both samples need at least one value');
  if (![...x, ...y].every(Number.isFinite)) throw new RangeError('samples must hold finite numbers only');
}
