import type { MetricBatch, MetricSample } from '../../src/domain/metrics.js';

/** A sample with every measured field null unless given: tests name only what they check. */
export function sample(seq: number, tsMs: number, fields: Partial<MetricSample> = {}): MetricSample {
  return {
    seq,
    ts: tsMs,
    intervalMs: 10_000,
    requests: 0,
    errors: 0,
    latencyP50Ms: null,
    latencyP95Ms: null,
    latencyP99Ms: null,
    poolUtilization: null,
    queueDepth: null,
    cpuPercent: null,
    memoryBytes: null,
    processCpuPercent: null,
    processRssBytes: null,
    netRxBytesPerSec: null,
    netTxBytesPerSec: null,
    diskReadBytesPerSec: null,
    diskWriteBytesPerSec: null,
    custom: {},
    ...fields,
  };
}

export const batch = (resourceSetId: string, instanceId: string, samples: MetricSample[]): MetricBatch => ({
  resourceSetId,
  instanceId,
  samples,
});
