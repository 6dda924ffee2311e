/**
 * Requests per second one instance of relative speed 1 serves within its latency SLO, assumed
 * until the capacity model has learned the real figure from the fleet's own history. Deliberately
 * conservative (the default sample-service configuration saturates near 75/s): too low costs
 * instances, too high costs the SLO.
 */
export const DEFAULT_CAPACITY_PER_SPEED = 50;

export function defaultCapacity(speed: number): number {
  return DEFAULT_CAPACITY_PER_SPEED * (speed > 0 ? speed : 1);
}
