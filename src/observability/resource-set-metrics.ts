import { Gauge, type Registry } from 'prom-client';
import type { Condition } from '../domain/conditions.js';

/** One resource set as /metrics shows it. */
export interface ResourceSetReading {
  id: string;
  desired: number | null;
  current: number | null;
  /** Instances the last forecast called for; null without one. */
  forecast: number | null;
  /** Null when the loop did not answer. */
  loopLagSeconds: number | null;
  conditions: readonly Condition[];
}

function gauge<L extends string>(registry: Registry, name: string, help: string, labelNames: readonly L[]): Gauge<L> {
  return (
    (registry.getSingleMetric(name) as Gauge<L> | undefined) ??
    new Gauge({ name, help, labelNames, registers: [registry] })
  );
}

/** Per-set gauges, refreshed at each scrape from the sets' loops (see readResourceSets). */
export function resourceSetGauges(registry: Registry) {
  return {
    desired: gauge(registry, 'prescale_resource_set_desired_instances', 'Instances the last decision wanted', [
      'resource_set',
    ]),
    current: gauge(
      registry,
      'prescale_resource_set_current_instances',
      'Instances the set had after its last decision',
      ['resource_set'],
    ),
    forecast: gauge(
      registry,
      'prescale_resource_set_forecast_instances',
      'Instances the last forecast called for (absent without a forecast)',
      ['resource_set'],
    ),
    loopLag: gauge(
      registry,
      'prescale_resource_set_loop_lag_seconds',
      'Seconds since the last recorded decision beyond one loop interval: grows while the loop fails or stalls',
      ['resource_set'],
    ),
    condition: gauge(
      registry,
      'prescale_resource_set_condition',
      'Each condition of each set, 1 for its current status and reason',
      ['resource_set', 'type', 'status', 'reason'],
    ),
    lastError: gauge(
      registry,
      'prescale_resource_set_last_error_timestamp_seconds',
      'When each failing (False) condition began failing, with its reason: time() minus it is how long',
      ['resource_set', 'condition', 'reason'],
    ),
  };
}

export type ResourceSetGauges = ReturnType<typeof resourceSetGauges>;

/** Replaces every per-set series with these readings, so a deleted set's series disappear. */
export function showResourceSets(gauges: ResourceSetGauges, readings: readonly ResourceSetReading[]): void {
  for (const g of Object.values(gauges)) g.reset();
  for (const r of readings) {
    const set = { resource_set: r.id };
    if (r.desired !== null) gauges.desired.set(set, r.desired);
    if (r.current !== null) gauges.current.set(set, r.current);
    if (r.forecast !== null) gauges.forecast.set(set, r.forecast);
    if (r.loopLagSeconds !== null) gauges.loopLag.set(set, r.loopLagSeconds);
    for (const c of r.conditions) {
      gauges.condition.set({ ...set, type: c.type, status: c.status, reason: c.reason }, 1);
      if (c.status === 'False' && c.type !== 'Ready')
        gauges.lastError.set({ ...set, condition: c.type, reason: c.reason }, Date.parse(c.since) / 1000);
    }
  }
}

/** Seconds the loop runs behind: since its last decision (or, before any, the set's creation), less one interval. */
export function loopLagSeconds(
  lastDecidedAt: string | null,
  createdAt: string,
  intervalSeconds: number,
  now: number,
): number {
  return Math.max(0, (now - Date.parse(lastDecidedAt ?? createdAt)) / 1000 - intervalSeconds);
}
