import { z } from 'zod';

const finite = z.number().finite();
const metricName = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]{0,99}$/, 'must be a Prometheus-style metric name');

/**
 * One agent sample: the state of an instance over the interval that ends at `ts`. Counters are
 * already turned into per-interval amounts (requests, errors) and rates, so the control plane
 * never needs an agent's previous sample to make sense of this one.
 */
export const metricSampleSchema = z.strictObject({
  /** Per-instance sequence number, strictly increasing: (instanceId, seq) makes retries harmless. */
  seq: z.number().int().min(0),
  /** Epoch milliseconds of the interval's end. */
  ts: z.number().int().min(0),
  intervalMs: z.number().int().min(1).max(3_600_000),
  /** Requests completed (any status) and errors (5xx) in the interval. */
  requests: z.number().int().min(0),
  errors: z.number().int().min(0),
  latencyP50Ms: finite.min(0).nullable(),
  latencyP95Ms: finite.min(0).nullable(),
  latencyP99Ms: finite.min(0).nullable(),
  /** Share of the worker pool busy, 0..1, averaged over the interval. */
  poolUtilization: finite.min(0).max(1).nullable(),
  queueDepth: finite.min(0).nullable(),
  /** Host and process figures from /proc. */
  cpuPercent: finite.min(0).nullable(),
  memoryBytes: finite.min(0).nullable(),
  processCpuPercent: finite.min(0).nullable(),
  processRssBytes: finite.min(0).nullable(),
  netRxBytesPerSec: finite.min(0).nullable(),
  netTxBytesPerSec: finite.min(0).nullable(),
  diskReadBytesPerSec: finite.min(0).nullable(),
  diskWriteBytesPerSec: finite.min(0).nullable(),
  /** Any other gauge the app exposes. */
  custom: z
    .record(metricName, finite)
    .refine((r) => Object.keys(r).length <= 100, 'at most 100 custom metrics')
    .default({}),
});

export const metricBatchSchema = z.strictObject({
  resourceSetId: z.string().min(1).max(63),
  instanceId: z.string().min(1).max(100),
  samples: z.array(metricSampleSchema).min(1).max(1000),
});

export type MetricSample = z.infer<typeof metricSampleSchema>;
export type MetricBatch = z.infer<typeof metricBatchSchema>;
