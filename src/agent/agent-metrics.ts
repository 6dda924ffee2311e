import type { MetricSample } from '../domain/metrics.js';

export interface AgentState {
  latest: MetricSample | null;
  bufferedSamples: number;
  droppedSamplesTotal: number;
  pushFailuresTotal: number;
  rejectedSamplesTotal: number;
  appliedConfigVersion: number | null;
}

type Row = [labels: Record<string, string>, value: number | null];

/** The latest sample's figures, in Prometheus' base units (seconds, ratios); null figures are left out. */
const SAMPLE_GAUGES: readonly [name: string, help: string, rows: (s: MetricSample) => Row[]][] = [
  ['prescale_instance_requests', 'Requests completed in the latest interval', (s) => [[{}, s.requests]]],
  ['prescale_instance_errors', 'Requests answered 5xx in the latest interval', (s) => [[{}, s.errors]]],
  [
    'prescale_instance_latency_seconds',
    'Request latency quantiles over the latest interval',
    (s) => [
      [{ quantile: '0.5' }, ms(s.latencyP50Ms)],
      [{ quantile: '0.95' }, ms(s.latencyP95Ms)],
      [{ quantile: '0.99' }, ms(s.latencyP99Ms)],
    ],
  ],
  [
    'prescale_instance_pool_utilization_ratio',
    'Mean share of the worker pool busy over the latest interval',
    (s) => [[{}, s.poolUtilization]],
  ],
  ['prescale_instance_queue_depth', 'Requests waiting for a worker', (s) => [[{}, s.queueDepth]]],
  ['prescale_instance_host_cpu_percent', 'Host CPU busy, share of all cores', (s) => [[{}, s.cpuPercent]]],
  ['prescale_instance_host_memory_used_bytes', 'Host memory in use (total − available)', (s) => [[{}, s.memoryBytes]]],
  ['prescale_instance_app_cpu_percent', 'App process CPU, per core', (s) => [[{}, s.processCpuPercent]]],
  ['prescale_instance_app_resident_bytes', 'App process resident memory', (s) => [[{}, s.processRssBytes]]],
  [
    'prescale_instance_host_network_bytes_per_second',
    'Host network traffic (loopback excluded)',
    (s) => [
      [{ direction: 'receive' }, s.netRxBytesPerSec],
      [{ direction: 'transmit' }, s.netTxBytesPerSec],
    ],
  ],
  [
    'prescale_instance_host_disk_bytes_per_second',
    'Host disk traffic',
    (s) => [
      [{ direction: 'read' }, s.diskReadBytesPerSec],
      [{ direction: 'write' }, s.diskWriteBytesPerSec],
    ],
  ],
  [
    'prescale_instance_custom',
    'Other gauges the app exposes',
    (s) => Object.entries(s.custom).map(([name, v]) => [{ name }, v]),
  ],
];

function ms(value: number | null): number | null {
  return value === null ? null : value / 1000;
}

const escape = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

function family(name: string, type: 'gauge' | 'counter', help: string, rows: Row[]): string {
  const lines = rows.flatMap(([labels, value]) => {
    if (value === null) return [];
    const l = Object.entries(labels)
      .map(([k, v]) => `${k}="${escape(v)}"`)
      .join(',');
    return [`${name}${l ? `{${l}}` : ''} ${value}`];
  });
  return lines.length === 0 ? '' : `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${lines.join('\n')}\n`;
}

/** The agent's own /metrics: its view of the instance plus its internals. */
export function renderAgentMetrics(state: AgentState): string {
  const { latest } = state;
  return [
    ...(latest ? SAMPLE_GAUGES.map(([name, help, rows]) => family(name, 'gauge', help, rows(latest))) : []),
    family('prescale_agent_last_seq', 'gauge', 'Sequence number of the latest sample', [[{}, latest?.seq ?? null]]),
    family('prescale_agent_last_sample_timestamp_seconds', 'gauge', "End of the latest sample's interval", [
      [{}, latest ? latest.ts / 1000 : null],
    ]),
    family('prescale_agent_buffered_samples', 'gauge', 'Samples waiting to be delivered to the control plane', [
      [{}, state.bufferedSamples],
    ]),
    family('prescale_agent_dropped_samples_total', 'counter', 'Oldest samples dropped because the buffer was full', [
      [{}, state.droppedSamplesTotal],
    ]),
    family('prescale_agent_push_failures_total', 'counter', 'Pushes that failed and will be retried', [
      [{}, state.pushFailuresTotal],
    ]),
    family(
      'prescale_agent_rejected_samples_total',
      'counter',
      'Samples in batches the control plane refused as bad (dropped)',
      [[{}, state.rejectedSamplesTotal]],
    ),
    family('prescale_agent_applied_config_version', 'gauge', 'Version of the applied app configuration', [
      [{}, state.appliedConfigVersion],
    ]),
  ].join('');
}
