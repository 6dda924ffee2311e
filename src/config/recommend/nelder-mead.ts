/**
 * Minimises f by Nelder–Mead (the standard coefficients: reflect 1, expand 2, contract ½, shrink ½).
 * No gradients: the GP's marginal likelihood over a handful of log-hyperparameters is cheap to
 * evaluate and smooth enough that this finds a good optimum in a few hundred evaluations.
 * f may return Infinity to fence off a region.
 */
export function nelderMead(
  f: (x: readonly number[]) => number,
  start: readonly number[],
  step: number,
  maxEvaluations: number,
): { x: number[]; value: number } {
  const n = start.length;
  let simplex = [start, ...start.map((_, i) => start.map((v, j) => (i === j ? v + step : v)))].map((x) => ({
    x: [...x],
    value: f(x),
  }));
  let evaluations = simplex.length;
  const along = (from: readonly number[], to: readonly number[], t: number): number[] =>
    from.map((v, i) => v + t * (to[i]! - v));
  const point = (x: number[]) => {
    evaluations++;
    return { x, value: f(x) };
  };
  while (evaluations < maxEvaluations) {
    simplex.sort((a, b) => a.value - b.value);
    const best = simplex[0]!;
    const worst = simplex[n]!;
    if (Math.abs(worst.value - best.value) <= 1e-10 * (1 + Math.abs(best.value))) break;
    const centroid = start.map((_, j) => simplex.slice(0, n).reduce((s, p) => s + p.x[j]!, 0) / n);
    const reflected = point(along(worst.x, centroid, 2));
    if (reflected.value < best.value) {
      const expanded = point(along(worst.x, centroid, 3));
      simplex[n] = expanded.value < reflected.value ? expanded : reflected;
    } else if (reflected.value < simplex[n - 1]!.value) {
      simplex[n] = reflected;
    } else {
      const contracted = point(along(worst.x, centroid, reflected.value < worst.value ? 1.5 : 0.5));
      if (contracted.value < Math.min(worst.value, reflected.value)) {
        simplex[n] = contracted;
      } else {
        simplex = simplex.map((p, i) => (i === 0 ? p : point(along(best.x, p.x, 0.5))));
      }
    }
  }
  simplex.sort((a, b) => a.value - b.value);
  return simplex[0]!;
}
