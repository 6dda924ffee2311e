import { DemandHistory, type Policy } from './policy.js';

export interface FleetOptions {
  /** Minutes from order to serving. */
  readyDelay: number;
  /** Instances serving at minute 0. */
  initial: number;
  /** Called now and then with the fraction of minutes simulated. */
  onProgress?: (fraction: number) => void;
}

/** Per minute: instances serving (supply) and instances paid (serving plus ordered). */
export interface FleetRun {
  supply: Int32Array;
  paid: Int32Array;
}

const PROGRESS_STEPS = 100;

/**
 * Runs a policy over a 1-minute demand series. Each minute: instances ordered readyDelay minutes
 * ago start serving, the policy decides, and the fleet moves to its count (at least one) at once —
 * more means orders that serve from minute + readyDelay and are paid from now; fewer means
 * cancelling the newest orders first, then stopping serving instances. As in the benchmark's
 * definition (../shared/bench/reference_sim.py), a minute's supply is what serves as it starts and
 * its paid count is read after the decision: a scale-in stops paying at once and serving from the
 * next minute.
 */
export function simulateFleet(policy: Policy, demand: readonly number[], options: FleetOptions): FleetRun {
  const { readyDelay, onProgress } = options;
  if (!Number.isInteger(readyDelay) || readyDelay < 1)
    throw new RangeError(`readyDelay must be a positive integer (got ${readyDelay})`);
  const n = demand.length;
  const supply = new Int32Array(n);
  const paid = new Int32Array(n);
  const history = new DemandHistory(demand);
  // Orders by minute placed, modulo readyDelay: the slot of this minute holds the orders that
  // arrive now, and once emptied, takes this minute's orders.
  const ordered = new Int32Array(readyDelay);
  let ready = Math.max(1, options.initial);
  let pending = 0;
  const every = Math.max(1, Math.ceil(n / PROGRESS_STEPS));

  for (let minute = 0; minute < n; minute++) {
    const slot = minute % readyDelay;
    ready += ordered[slot]!;
    pending -= ordered[slot]!;
    ordered[slot] = 0;
    supply[minute] = ready;

    history.latest = minute;
    const decided = policy.decide({ minute, demand: history, ready, pending });
    if (!Number.isInteger(decided))
      throw new RangeError(`minute ${minute}: a policy must ask for a whole count (got ${decided})`);
    const want = Math.max(1, decided);
    if (want > ready + pending) {
      const order = want - ready - pending;
      ordered[slot] = order;
      pending += order;
    } else {
      let cut = ready + pending - want;
      for (let age = 0; cut > 0 && age < readyDelay; age++) {
        const s = (minute - age + readyDelay) % readyDelay;
        const cancelled = Math.min(cut, ordered[s]!);
        ordered[s] = ordered[s]! - cancelled;
        pending -= cancelled;
        cut -= cancelled;
      }
      ready -= cut;
    }
    paid[minute] = ready + pending;
    if (onProgress && (minute + 1) % every === 0) onProgress((minute + 1) / n);
  }
  onProgress?.(1);
  return { supply, paid };
}
