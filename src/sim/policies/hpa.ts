import { reactiveDesired, stabilise } from '../../planner/reactive.js';
import type { Observation, Policy, PolicyEnv, PolicySpec } from '../policy.js';

export const STABILISATION_MINUTES = 5;

/**
 * The Kubernetes HPA evaluated once a minute on the utilisation of the ready instances,
 * u = d(t) / (ready · c), with the default tolerance and a 5-minute scale-down stabilisation.
 *
 * The reading that reproduces the reference figures: the HPA's current count is the ready count —
 * instances still starting count neither in the utilisation nor as "current". So within tolerance
 * it asks for `ready`, and when a recommendation falls to `ready` or below the stabilised count is
 * min(ready, max of the last 5 recommendations), which cancels orders still in flight. (Kubernetes
 * itself keeps in-flight pods: its current count is the scale's replicas.)
 */
export class HpaPolicy implements Policy {
  private readonly recent: number[] = [];

  /** `window`: minutes of recommendations scale-in waits out; Kubernetes' default is 5. */
  constructor(
    private readonly env: PolicyEnv,
    private readonly window = STABILISATION_MINUTES,
  ) {}

  decide({ minute, demand, ready }: Observation): number {
    const { capacity, target } = this.env;
    const { desired } = reactiveDesired({
      ready,
      current: ready,
      metric: demand.at(minute) / (ready * capacity),
      target,
    });
    this.recent.push(desired);
    if (this.recent.length > this.window) this.recent.shift();
    return stabilise(ready, desired, this.recent).count;
  }
}

export const hpa: PolicySpec = { name: 'hpa', create: (env) => new HpaPolicy(env) };
