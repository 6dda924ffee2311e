import type { Policy } from '../policy.js';

/**
 * The limit no real policy reaches: knowing the future, it keeps max(r[t..t+lead]) instances paid
 * at t. Every instance serving in that window must have been ordered by t, so this is the least
 * cost without a minute of shortage. It is built from the required series, outside the Policy
 * contract, because seeing the future is the point.
 */
export function oracle(required: Int32Array, lead: number): Policy {
  return {
    decide({ minute }) {
      let most = 1;
      const end = Math.min(minute + lead, required.length - 1);
      for (let i = minute; i <= end; i++) if (required[i]! > most) most = required[i]!;
      return most;
    },
  };
}
