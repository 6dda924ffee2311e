import { quantile } from '../forecast/quantile.js';

/** Minutes from ordering an instance to its serving; it is paid from the order. */
export const READY_DELAY_MINUTES = 5;

/** The trace's p99 demand takes this many instances: sizes the fleet alike across traces. */
export const INSTANCES_AT_P99 = 20;

/** Per-instance capacity c = p99(demand) / 20, in the demand's unit. */
export function capacityPerInstance(demand: readonly number[]): number {
  const c = quantile(demand, 0.99) / INSTANCES_AT_P99;
  if (!(c > 0)) throw new Error('demand has no positive p99: cannot size instances');
  return c;
}

/**
 * Instances required each minute, r = ceil(d / c), never below the fleet's minimum of one: the
 * minimum is not over-provisioning, and it keeps the relative shortage and excess defined.
 */
export function requiredInstances(demand: readonly number[], capacity: number): Int32Array {
  const r = new Int32Array(demand.length);
  for (let i = 0; i < demand.length; i++) r[i] = Math.max(1, Math.ceil(demand[i]! / capacity));
  return r;
}
