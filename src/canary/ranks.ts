export interface Ranking {
  /** 1-based ranks in input order; tied values share the mean of the ranks they span. */
  readonly ranks: Float64Array;
  /** Σ (t³ − t) over groups of t tied values: what ties take off the rank-sum variance. */
  readonly tieTerm: number;
}

export function midRanks(values: readonly number[]): Ranking {
  const order = values.map((_, i) => i).sort((a, b) => (values[a] as number) - (values[b] as number));
  const ranks = new Float64Array(values.length);
  let tieTerm = 0;
  for (let start = 0; start < order.length;) {
    let end = start + 1;
    while (end < order.length && values[order[end] as number] === values[order[start] as number]) end++;
    const rank = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) ranks[order[k] as number] = rank;
    const t = end - start;
    tieTerm += t * t * t - t;
    start = end;
  }
  return { ranks, tieTerm };
}
