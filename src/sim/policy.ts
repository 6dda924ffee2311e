/** Demand observed so far: minutes 0..latest of the trace; later minutes cannot be read. */
export class DemandHistory {
  /** The last minute observed. */
  latest = -1;

  /** Identifies the series (for caches of facts about its past), without handing it out. */
  readonly key: object;

  constructor(private readonly series: readonly number[]) {
    this.key = series;
  }

  at(minute: number): number {
    if (minute > this.latest || minute < 0)
      throw new RangeError(`minute ${minute} is not observed yet (latest ${this.latest})`);
    return this.series[minute]!;
  }

  /** Minutes from..to−1, all observed. */
  slice(from: number, to: number): number[] {
    if (to > this.latest + 1 || from < 0)
      throw new RangeError(`minutes ${from}..${to - 1} are not all observed (latest ${this.latest})`);
    return this.series.slice(from, to);
  }
}

/** What a policy sees at one decision: the past and its own fleet, never the future. */
export interface Observation {
  /** Minutes since the trace start; its demand is already observed. */
  minute: number;
  demand: DemandHistory;
  /** Instances serving now. */
  ready: number;
  /** Instances ordered, paid, not serving yet. */
  pending: number;
}

/** Point forecasts of mean demand per step of `stepMinutes`, indexed from the trace start; NaN where none was made. */
export interface StepForecasts {
  stepMinutes: number;
  values: Float64Array;
}

/** A scaling policy: once a minute, the count of instances it wants (ready plus pending). */
export interface Policy {
  decide(now: Observation): number;
  /** Policies that forecast expose their forecasts so the backtest can score them. */
  forecasts?(): StepForecasts;
}

/** What every policy may know before the first minute. */
export interface PolicyEnv {
  /** Demand one instance serves at full utilisation. */
  capacity: number;
  /** Target utilisation, 0..1. */
  target: number;
  readyDelay: number;
  /** Epoch minutes of minute 0, for policies that follow the clock. */
  startTime: number;
  /** Minutes in the trace; lets a policy size its buffers. */
  minutes: number;
}

/** A named policy; `create` makes a fresh one (policies keep state) for each run. */
export interface PolicySpec {
  name: string;
  create(env: PolicyEnv): Policy;
}
