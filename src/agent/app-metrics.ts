import type { MetricSample } from '../domain/metrics.js';
import type { Exposition } from './prometheus-text.js';

/**
 * The metric names the agent reads from its app (the sample service exposes exactly these; any app
 * that does gets the full picture). Every other unlabelled gauge is forwarded as `custom`.
 */
export const APP_METRICS = {
  /** Counter, label `code` (or `status`, `status_code`): 5xx are errors. */
  requests: 'http_requests_total',
  /** Histogram, seconds; label sets are summed per bucket. */
  latency: 'http_request_duration_seconds',
  /** Counter: ∫ pool utilisation dt, so its rate is the interval's mean utilisation… */
  utilizationSeconds: 'app_pool_utilization_seconds_total',
  /** …else this gauge, the utilisation at the scrape. */
  utilization: 'app_pool_utilization',
  queueDepth: 'app_queue_depth',
} as const;

const CUSTOM_NAME = /^[a-zA-Z_][a-zA-Z0-9_]{0,99}$/;
const MAX_CUSTOM = 100;

export interface Bucket {
  /** Upper bound, seconds; the last is +Inf. */
  le: number;
  /** Cumulative count. */
  count: number;
}

/** What one scrape of the app says, reduced to what samples need. */
export interface AppSnapshot {
  requestsByCode: Map<string, number>;
  /** Sorted by `le`. */
  latencyBuckets: Bucket[];
  utilizationSeconds: number | null;
  utilization: number | null;
  queueDepth: number | null;
  gauges: Record<string, number>;
}

export type AppFigures = Pick<
  MetricSample,
  'requests' | 'errors' | 'latencyP50Ms' | 'latencyP95Ms' | 'latencyP99Ms' | 'poolUtilization' | 'queueDepth' | 'custom'
>;

const EMPTY: AppSnapshot = {
  requestsByCode: new Map(),
  latencyBuckets: [],
  utilizationSeconds: 0,
  utilization: null,
  queueDepth: null,
  gauges: {},
};

const sum = (values: Iterable<number>): number => {
  let total = 0;
  for (const v of values) total += v;
  return total;
};

export function appSnapshot({ samples, types }: Exposition): AppSnapshot {
  const requestsByCode = new Map<string, number>();
  const buckets = new Map<number, number>();
  const gauges: Record<string, number> = {};
  let utilizationSeconds: number | null = null;
  let utilization: number | null = null;
  let queueDepth: number | null = null;
  for (const { name, labels, value } of samples) {
    if (name === APP_METRICS.requests) {
      const code = labels.code ?? labels.status ?? labels.status_code ?? '';
      requestsByCode.set(code, (requestsByCode.get(code) ?? 0) + value);
    } else if (name === `${APP_METRICS.latency}_bucket` && labels.le !== undefined) {
      const le = Number(labels.le === '+Inf' ? Infinity : labels.le);
      buckets.set(le, (buckets.get(le) ?? 0) + value);
    } else if (name === APP_METRICS.utilizationSeconds) {
      utilizationSeconds = value;
    } else if (name === APP_METRICS.utilization) {
      utilization = value;
    } else if (name === APP_METRICS.queueDepth) {
      queueDepth = value;
    } else if (
      types.get(name) === 'gauge' &&
      Object.keys(labels).length === 0 &&
      Number.isFinite(value) &&
      CUSTOM_NAME.test(name)
    ) {
      gauges[name] = value;
    }
  }
  const latencyBuckets = [...buckets].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le);
  return { requestsByCode, latencyBuckets, utilizationSeconds, utilization, queueDepth, gauges };
}

/**
 * The q-quantile of a cumulative histogram, as Prometheus' histogram_quantile computes it: find the
 * bucket holding rank q·total and interpolate linearly inside it (the first bucket starts at 0; a
 * rank in the +Inf bucket answers the highest finite bound). Null without observations.
 */
export function histogramQuantile(q: number, buckets: readonly Bucket[]): number | null {
  const last = buckets.at(-1);
  if (buckets.length < 2 || !last || last.le !== Infinity || last.count <= 0) return null;
  const rank = q * last.count;
  const index = buckets.findIndex((b) => b.count >= rank);
  const bucket = buckets[index]!;
  if (bucket.le === Infinity) return buckets[index - 1]!.le;
  const lower = index === 0 ? 0 : buckets[index - 1]!.le;
  const below = index === 0 ? 0 : buckets[index - 1]!.count;
  if (index === 0 && bucket.le <= 0) return bucket.le;
  const inBucket = bucket.count - below;
  return inBucket <= 0 ? bucket.le : lower + (bucket.le - lower) * ((rank - below) / inBucket);
}

/** True when a counter went backwards: the app restarted between the scrapes. */
export function appRestarted(prev: AppSnapshot, cur: AppSnapshot): boolean {
  return (
    sum(cur.requestsByCode.values()) < sum(prev.requestsByCode.values()) ||
    (cur.latencyBuckets.at(-1)?.count ?? 0) < (prev.latencyBuckets.at(-1)?.count ?? 0) ||
    (cur.utilizationSeconds ?? 0) < (prev.utilizationSeconds ?? 0)
  );
}

/** The figures for the window between two scrapes `elapsedSeconds` apart. */
export function appFigures(previous: AppSnapshot, cur: AppSnapshot, elapsedSeconds: number): AppFigures {
  // After a restart everything the app counted is new, as Prometheus' rate() assumes.
  const prev = appRestarted(previous, cur) ? EMPTY : previous;
  let requests = 0;
  let errors = 0;
  for (const [code, count] of cur.requestsByCode) {
    const delta = Math.max(0, count - (prev.requestsByCode.get(code) ?? 0));
    requests += delta;
    if (code.startsWith('5')) errors += delta;
  }
  const prevBuckets = new Map(prev.latencyBuckets.map((b) => [b.le, b.count]));
  const window = cur.latencyBuckets.map((b) => ({
    le: b.le,
    count: Math.max(0, b.count - (prevBuckets.get(b.le) ?? 0)),
  }));
  const quantileMs = (q: number): number | null => {
    const seconds = histogramQuantile(q, window);
    return seconds === null ? null : seconds * 1000;
  };
  const poolUtilization =
    cur.utilizationSeconds !== null && prev.utilizationSeconds !== null && elapsedSeconds > 0
      ? (cur.utilizationSeconds - prev.utilizationSeconds) / elapsedSeconds
      : cur.utilization;
  const custom = Object.fromEntries(
    Object.entries(cur.gauges)
      .sort(([a], [b]) => a.localeCompare(b))
      .slice(0, MAX_CUSTOM),
  );
  return {
    requests: Math.round(requests),
    errors: Math.round(errors),
    latencyP50Ms: quantileMs(0.5),
    latencyP95Ms: quantileMs(0.95),
    latencyP99Ms: quantileMs(0.99),
    poolUtilization:
      poolUtilization === null || !Number.isFinite(poolUtilization) ? null : Math.min(1, Math.max(0, poolUtilization)),
    queueDepth: cur.queueDepth === null || !Number.isFinite(cur.queueDepth) ? null : Math.max(0, cur.queueDepth),
    custom,
  };
}
