import { quantileOfSorted } from '../forecast/quantile.js';

/**
 * Learns the load at which an instance's p95 latency crosses the SLO from its own history
 * (application-aware scaling). Points are sorted by load into equal-count bins; each bin keeps an
 * upper quantile of its latencies (conservative: most of the time the bin was at least this
 * fast), made non-decreasing in load by isotonic regression. Where the bins cross the SLO, the
 * capacity is read off between them; where they do not, a queueing curve
 * p95(λ) = base + scale / (saturation − λ) — the shape of an M/M/c sojourn quantile near
 * saturation — fitted to the bins extrapolates, but only when it fits well and the data covers
 * enough of the range up to the knee. Otherwise the caller's default stands.
 */

export interface LoadLatencyPoint {
  /** Requests per second the instance served. */
  load: number;
  latencyP95Ms: number;
}

export interface CapacityFitOptions {
  sloP95Ms: number;
  /** Fewer points than this never make a learned capacity. Default 30. */
  minSamples?: number;
  /** Observed loads must span at least this share of [0, capacity]. Default 0.4. */
  minCoverage?: number;
  /** Extrapolating needs the curve to explain at least this much of the bins' variance. Default 0.5. */
  minR2?: number;
  /** Quantile of the latencies within a load bin that the fit follows. Default 0.9. */
  binQuantile?: number;
}

/** p95(λ) = base + scale / (saturation − λ), milliseconds, λ in requests/s. */
export interface QueueingCurve {
  base: number;
  scale: number;
  saturation: number;
}

export interface CapacityFit {
  status: 'learned' | 'insufficient';
  /** Requests/s per instance at the SLO; null unless learned. */
  capacity: number | null;
  /** How the capacity was found: the SLO crossing seen in the data, or the curve beyond it. */
  method: 'observed' | 'extrapolated' | null;
  samples: number;
  /** Span of the observed loads ÷ the estimated capacity, at most 1; null without an estimate. */
  coverage: number | null;
  /** Of the curve on the bins (weighted by bin size); null when no curve could be fitted. */
  r2: number | null;
  curve: QueueingCurve | null;
  minObservedLoad: number | null;
  maxObservedLoad: number | null;
  /** People-readable: why learned, or what is missing. */
  reason: string;
}

interface Bin {
  load: number;
  latency: number;
  weight: number;
}

const POINTS_PER_BIN = 8;
const MIN_BINS = 5;
const MAX_BINS = 30;

function bins(points: readonly LoadLatencyPoint[], q: number): Bin[] {
  const sorted = [...points].sort((a, b) => a.load - b.load);
  const count = Math.min(MAX_BINS, Math.max(MIN_BINS, Math.floor(sorted.length / POINTS_PER_BIN)));
  return Array.from({ length: count }, (_, i) => {
    const members = sorted.slice(
      Math.floor((i * sorted.length) / count),
      Math.floor(((i + 1) * sorted.length) / count),
    );
    return {
      load: quantileOfSorted(
        members.map((p) => p.load),
        0.5,
      ),
      latency: quantileOfSorted(
        members.map((p) => p.latencyP95Ms).sort((a, b) => a - b),
        q,
      ),
      weight: members.length,
    };
  });
}

/** Weighted pool-adjacent-violators: the closest non-decreasing sequence in least squares. */
function isotonic(values: readonly number[], weights: readonly number[]): number[] {
  const blocks: { value: number; weight: number; size: number }[] = [];
  values.forEach((value, i) => {
    blocks.push({ value, weight: weights[i]!, size: 1 });
    while (blocks.length > 1 && blocks.at(-2)!.value > blocks.at(-1)!.value) {
      const b = blocks.pop()!;
      const a = blocks.pop()!;
      const weight = a.weight + b.weight;
      blocks.push({ value: (a.value * a.weight + b.value * b.weight) / weight, weight, size: a.size + b.size });
    }
  });
  return blocks.flatMap((b) => new Array<number>(b.size).fill(b.value));
}

const SATURATION_GRID = 400;
const MAX_SATURATION_FACTOR = 50;

/** Least squares over a geometric grid of saturations; for each, base and scale are linear. */
function fitCurve(data: readonly Bin[]): { curve: QueueingCurve; r2: number } | null {
  const maxLoad = Math.max(...data.map((b) => b.load));
  if (!(maxLoad > 0)) return null;
  const total = data.reduce((s, b) => s + b.weight, 0);
  const meanY = data.reduce((s, b) => s + b.weight * b.latency, 0) / total;
  const sst = data.reduce((s, b) => s + b.weight * (b.latency - meanY) ** 2, 0);
  let best: { curve: QueueingCurve; sse: number } | null = null;
  for (let g = 1; g <= SATURATION_GRID; g++) {
    const saturation = maxLoad * MAX_SATURATION_FACTOR ** (g / SATURATION_GRID);
    const xs = data.map((b) => 1 / (saturation - b.load));
    const meanX = data.reduce((s, b, i) => s + b.weight * xs[i]!, 0) / total;
    const sxx = data.reduce((s, b, i) => s + b.weight * (xs[i]! - meanX) ** 2, 0);
    const sxy = data.reduce((s, b, i) => s + b.weight * (xs[i]! - meanX) * (b.latency - meanY), 0);
    // Latency cannot fall as load grows: a negative slope means a flat line.
    const scale = sxx > 0 ? Math.max(0, sxy / sxx) : 0;
    const base = meanY - scale * meanX;
    const sse = data.reduce((s, b, i) => s + b.weight * (b.latency - base - scale * xs[i]!) ** 2, 0);
    if (!best || sse < best.sse) best = { curve: { base, scale, saturation }, sse };
  }
  if (!best) return null;
  return { curve: best.curve, r2: sst > 0 ? 1 - best.sse / sst : 0 };
}

/** The load at which the curve reaches the SLO; null when it never does. */
export function curveCapacity(curve: QueueingCurve, sloP95Ms: number): number | null {
  if (!(curve.scale > 0) || !(sloP95Ms > curve.base)) return null;
  const load = curve.saturation - curve.scale / (sloP95Ms - curve.base);
  return load > 0 ? load : null;
}

const round = (x: number): string => (Math.abs(x) >= 100 ? x.toFixed(0) : x.toPrecision(3));

export function fitCapacity(points: readonly LoadLatencyPoint[], options: CapacityFitOptions): CapacityFit {
  const { sloP95Ms, minSamples = 30, minCoverage = 0.4, minR2 = 0.5, binQuantile = 0.9 } = options;
  const usable = points.filter(
    (p) => p.load > 0 && Number.isFinite(p.load) && p.latencyP95Ms >= 0 && Number.isFinite(p.latencyP95Ms),
  );
  const minObservedLoad = usable.length ? usable.reduce((m, p) => Math.min(m, p.load), Infinity) : null;
  const maxObservedLoad = usable.length ? usable.reduce((m, p) => Math.max(m, p.load), -Infinity) : null;
  const base = { samples: usable.length, minObservedLoad, maxObservedLoad };
  const insufficient = (reason: string, extra: Partial<CapacityFit> = {}): CapacityFit => ({
    status: 'insufficient',
    capacity: null,
    method: null,
    coverage: null,
    r2: null,
    curve: null,
    ...base,
    ...extra,
    reason,
  });
  if (usable.length < minSamples)
    return insufficient(`${usable.length} samples with load and latency; at least ${minSamples} are needed`);

  const data = bins(usable, binQuantile);
  const monotone = isotonic(
    data.map((b) => b.latency),
    data.map((b) => b.weight),
  );
  const fitted = fitCurve(data);
  const fit = { curve: fitted?.curve ?? null, r2: fitted?.r2 ?? null };
  const crossing = monotone.findIndex((latency) => latency >= sloP95Ms);

  let capacity: number;
  let method: 'observed' | 'extrapolated';
  if (crossing === 0) {
    return insufficient(
      `p95 is above the ${sloP95Ms} ms SLO already at the lowest loads seen (${round(data[0]!.load)} req/s)`,
      fit,
    );
  } else if (crossing > 0) {
    const lo = data[crossing - 1]!;
    const hi = data[crossing]!;
    const [yLo, yHi] = [monotone[crossing - 1]!, monotone[crossing]!];
    capacity = lo.load + ((sloP95Ms - yLo) / (yHi - yLo)) * (hi.load - lo.load);
    method = 'observed';
  } else {
    const extrapolated = fitted && fitted.r2 >= minR2 ? curveCapacity(fitted.curve, sloP95Ms) : null;
    if (extrapolated === null) {
      return insufficient(
        `p95 stays below the ${sloP95Ms} ms SLO up to ${round(maxObservedLoad!)} req/s and the load/latency curve ` +
          (fitted ? `(R² ${round(fitted.r2)}) does not show where it would cross` : 'could not be fitted'),
        fit,
      );
    }
    capacity = extrapolated;
    method = 'extrapolated';
  }
  const coverage = Math.min(1, (Math.min(maxObservedLoad!, capacity) - minObservedLoad!) / capacity);
  if (coverage < minCoverage) {
    return insufficient(
      `loads seen (${round(minObservedLoad!)}–${round(maxObservedLoad!)} req/s) span ${(coverage * 100).toFixed(0)}% ` +
        `of the range up to the estimated ${round(capacity)} req/s; at least ${(minCoverage * 100).toFixed(0)}% is needed`,
      { ...fit, coverage },
    );
  }
  return {
    status: 'learned',
    capacity,
    method,
    coverage,
    ...fit,
    ...base,
    reason:
      method === 'observed'
        ? `p95 crosses the ${sloP95Ms} ms SLO at ${round(capacity)} req/s in the data (${usable.length} samples)`
        : `p95 would cross the ${sloP95Ms} ms SLO at ${round(capacity)} req/s by the fitted curve (R² ${round(fit.r2!)}, ${usable.length} samples, up to ${round(maxObservedLoad!)} req/s seen)`,
  };
}
