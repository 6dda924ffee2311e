import { Counter, Histogram, type Registry } from 'prom-client';
import type { Decision } from '../planner/decision.js';

// Metric objects are registered once per registry; asking again returns the same ones, so the API
// and the workers of one process may each ask for what they use.
function counter<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly L[],
): Counter<L> {
  return (
    (registry.getSingleMetric(name) as Counter<L> | undefined) ??
    new Counter({ name, help, labelNames, registers: [registry] })
  );
}

function histogram<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly L[],
  buckets: number[],
): Histogram<L> {
  return (
    (registry.getSingleMetric(name) as Histogram<L> | undefined) ??
    new Histogram({ name, help, labelNames, buckets, registers: [registry] })
  );
}

/** The API's own security metrics (request counts and durations: prescale_http_request_duration_seconds). */
export function apiMetrics(registry: Registry) {
  return {
    authFailures: counter(
      registry,
      'prescale_auth_failures_total',
      'Requests refused by authentication or authorisation, by status and reason',
      ['status', 'reason'],
    ),
    rateLimited: counter(registry, 'prescale_rate_limited_total', 'Requests refused with 429, by principal kind', [
      'kind',
    ]),
  };
}

/** What the workers report about the control loop and rollouts; the API's registry serves them. */
export function controlPlaneMetrics(registry: Registry) {
  return {
    decisions: counter(
      registry,
      'prescale_decisions_total',
      'Control-loop decisions by the planner rule that set the count and by outcome',
      ['rule', 'outcome'],
    ),
    loopLag: histogram(
      registry,
      'prescale_control_loop_lag_seconds',
      'Seconds from a decision (workflow time) to its record: how far the loop runs behind the clock',
      [],
      [0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 900],
    ),
    activityFailures: counter(
      registry,
      'prescale_activity_failures_total',
      'Activity attempts that threw, by activity type',
      ['activity'],
    ),
    rollouts: counter(registry, 'prescale_rollouts_total', 'Finished configuration rollouts by verdict', ['verdict']),
    forecastError: histogram(
      registry,
      'prescale_forecast_error',
      "The selected model's backtest error (scaled), per decision",
      [],
      [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 5],
    ),
  };
}

export type ControlPlaneMetrics = ReturnType<typeof controlPlaneMetrics>;

/** paused | forecast-only | scaled | steady: whether the decision changed the fleet, and why not. */
export function decisionOutcome(d: Pick<Decision, 'paused' | 'mode' | 'actions'>): string {
  if (d.paused) return 'paused';
  if (d.mode === 'forecast-only') return 'forecast-only';
  return d.actions.length > 0 ? 'scaled' : 'steady';
}

/** Called when a decision is recorded (once per decision: a retried record must not count twice). */
export function observeDecision(metrics: ControlPlaneMetrics, d: Decision, now: number = Date.now()): void {
  metrics.decisions.inc({ rule: d.rule, outcome: decisionOutcome(d) });
  metrics.loopLag.observe(Math.max(0, (now - Date.parse(d.decidedAt)) / 1000));
  if (d.inputs.modelError !== null) metrics.forecastError.observe(d.inputs.modelError);
}
