/**
 * The correctly rounded sum of floats (Shewchuk's partials, the algorithm of Python's math.fsum):
 * the benchmark's definition averages with statistics.fmean, and a mean rounded differently can
 * tip a ceil() and with it a whole instance.
 */
export function exactSum(values: Iterable<number>): number {
  const partials: number[] = [];
  for (let x of values) {
    let i = 0;
    for (let y of partials) {
      if (Math.abs(x) < Math.abs(y)) [x, y] = [y, x];
      const hi = x + y;
      const lo = y - (hi - x);
      if (lo !== 0) partials[i++] = lo;
      x = hi;
    }
    partials.length = i;
    partials.push(x);
  }
  // Round the partials' total once, as fsum does: add from the largest down, then correct the
  // last rounding when the rest would tip it (the half-way case).
  let n = partials.length;
  if (n === 0) return 0;
  let hi = partials[--n]!;
  let lo = 0;
  while (n > 0) {
    const x = hi;
    const y = partials[--n]!;
    hi = x + y;
    lo = y - (hi - x);
    if (lo !== 0) break;
  }
  if (n > 0 && ((lo < 0 && partials[n - 1]! < 0) || (lo > 0 && partials[n - 1]! > 0))) {
    const y = lo * 2;
    const x = hi + y;
    if (y === x - hi) hi = x;
  }
  return hi;
}

/** The mean as statistics.fmean computes it. */
export const exactMean = (values: readonly number[]): number => exactSum(values) / values.length;
