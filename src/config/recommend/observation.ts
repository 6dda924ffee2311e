// What the tuner learns from one trial; the tuner and its safety model (feasibility.ts) both read it.
import type { Params } from './space.js';

interface Measured {
  readonly params: Params;
  /**
   * The canary's p95 latency over the baseline's in the same window (medians of the bake's
   * intervals), when the trial measured it: for a failed trial too, where it says how far from
   * passing the configuration was. Without it the tuner learns safety from verdicts alone.
   */
  readonly latencyRatio?: number;
}

export type Observation =
  | (Measured & { readonly safe: true; readonly value: number })
  | (Measured & { readonly safe: false; readonly reason?: string });

export type SafeObservation = Extract<Observation, { safe: true }>;
