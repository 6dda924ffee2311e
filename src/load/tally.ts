import { quantileOfSorted } from '../forecast/quantile.js';

export interface LatencySummary {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export function summariseLatencies(latenciesMs: readonly number[]): LatencySummary | null {
  if (latenciesMs.length === 0) return null;
  // A typed array sorts numerically, and far faster than a compare function on a million values.
  const sorted = Array.from(Float64Array.from(latenciesMs).sort());
  const at = (q: number) => quantileOfSorted(sorted, q);
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: sorted[sorted.length - 1]! };
}

/** Outcomes of a replay's requests, in total and since the last progress report. */
export class Tally {
  sent = 0;
  dropped = 0;
  ok = 0;
  inFlight = 0;
  /** Failed requests by HTTP status ("503") or client error ("ECONNREFUSED", "timeout"). */
  readonly errors: Record<string, number> = {};
  private readonly latencies: number[] = [];
  private windowLatencies: number[] = [];
  private windowSent = 0;

  start(): void {
    this.sent++;
    this.windowSent++;
    this.inFlight++;
  }

  /** A response (any status; latency counted) or a failure without one (no latency). */
  finish(outcome: { status: number; latencyMs: number } | { error: string }): void {
    this.inFlight--;
    if ('error' in outcome) {
      this.errors[outcome.error] = (this.errors[outcome.error] ?? 0) + 1;
      return;
    }
    this.latencies.push(outcome.latencyMs);
    this.windowLatencies.push(outcome.latencyMs);
    if (outcome.status < 400) this.ok++;
    else this.errors[outcome.status] = (this.errors[outcome.status] ?? 0) + 1;
  }

  get errorCount(): number {
    return Object.values(this.errors).reduce((a, b) => a + b, 0);
  }

  /** What happened since the previous call: requests sent and the latencies of responses. */
  takeWindow(): { sent: number; latency: LatencySummary | null } {
    const window = { sent: this.windowSent, latency: summariseLatencies(this.windowLatencies) };
    this.windowSent = 0;
    this.windowLatencies = [];
    return window;
  }

  latency(): LatencySummary | null {
    return summariseLatencies(this.latencies);
  }
}
