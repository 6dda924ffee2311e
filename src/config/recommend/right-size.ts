/**
 * Instance-type right-sizing: what each type costs per unit of capacity at the SLO, and whether
 * moving the fleet to another type saves enough at the current demand to be worth a
 * replacement rollout. Capacities come from the capacity model (src/planner/capacity-model.ts,
 * stored per resource set, type and configuration by src/store/capacity.ts); a type the fleet has
 * never run has no learned capacity, and the caller either leaves it out or passes an estimate
 * and says so in `basis`. Nothing here models the app: what a type serves is what was measured.
 */
import type { InstanceType } from '../../domain/provider.js';

export interface TypeCapacity {
  readonly instanceType: string;
  readonly hourlyPrice: number;
  /** Requests/s one instance of this type sustains within the SLO. */
  readonly capacity: number;
  /** Where the capacity came from, for the reason: e.g. 'learned' or 'scaled from local.small'. */
  readonly basis: string;
}

export interface RightSizeInput {
  readonly current: string;
  readonly types: readonly TypeCapacity[];
  /** Requests/s the fleet must serve: the planner's demand quantile over its horizon. */
  readonly demand: number;
  /** Share of an instance's capacity the planner fills (the policy's targetUtilization). */
  readonly targetUtilization: number;
  readonly minInstances: number;
  /** Smallest saving, as a share of the current fleet's $/h, that justifies replacing it. */
  readonly minSaving: number;
}

export interface TypeCost {
  readonly instanceType: string;
  /** $/h per request/s of capacity at the SLO. */
  readonly costPerCapacity: number;
  /** Instances needed for the demand, and what they cost per hour. */
  readonly instances: number;
  readonly fleetCostPerHour: number;
  readonly basis: string;
}

export interface RightSizeResult {
  /** Every usable type, cheapest fleet first. */
  readonly costs: readonly TypeCost[];
  /** The type to move to, or null to stay. */
  readonly recommended: string | null;
  /** $/h the move saves at the current demand (0 when staying). */
  readonly expectedSavingPerHour: number;
  readonly reason: string;
}

const money = (x: number): string => `$${x.toFixed(4)}/h`;

export function rightSize(input: RightSizeInput): RightSizeResult {
  const { current, demand, targetUtilization, minInstances, minSaving } = input;
  if (!(targetUtilization > 0 && targetUtilization <= 1)) throw new RangeError('targetUtilization must lie in (0, 1]');
  if (!(demand >= 0)) throw new RangeError('demand must be ≥ 0');
  // Whole instances: a big type can cost more at low demand even when it is cheaper per unit.
  const costs = input.types
    .filter((t) => t.capacity > 0 && t.hourlyPrice >= 0)
    .map((t): TypeCost => {
      const instances = Math.max(minInstances, 1, Math.ceil(demand / (t.capacity * targetUtilization)));
      return {
        instanceType: t.instanceType,
        costPerCapacity: t.hourlyPrice / t.capacity,
        instances,
        fleetCostPerHour: instances * t.hourlyPrice,
        basis: t.basis,
      };
    })
    .sort((a, b) => a.fleetCostPerHour - b.fleetCostPerHour || a.costPerCapacity - b.costPerCapacity);
  const now = costs.find((c) => c.instanceType === current);
  if (!now)
    return {
      costs,
      recommended: null,
      expectedSavingPerHour: 0,
      reason: `no capacity is known for the current type ${current}`,
    };
  const best = costs[0]!;
  const saving = now.fleetCostPerHour - best.fleetCostPerHour;
  const describe = (c: TypeCost) =>
    `${c.instances} × ${c.instanceType} = ${money(c.fleetCostPerHour)} (${c.basis} capacity)`;
  if (best.instanceType === current || saving < minSaving * now.fleetCostPerHour) {
    const runnerUp = costs.find((c) => c.instanceType !== current);
    return {
      costs,
      recommended: null,
      expectedSavingPerHour: 0,
      reason:
        `${describe(now)} for ${demand.toFixed(1)} req/s; ` +
        (runnerUp
          ? `the next best, ${describe(runnerUp)}, does not save ${(minSaving * 100).toFixed(0)}%`
          : 'no other type has a known capacity'),
    };
  }
  return {
    costs,
    recommended: best.instanceType,
    expectedSavingPerHour: saving,
    reason:
      `${describe(best)} instead of ${describe(now)} for ${demand.toFixed(1)} req/s saves ${money(saving)} ` +
      `(${((saving / now.fleetCostPerHour) * 100).toFixed(0)}%)`,
  };
}

/**
 * Each type's capacity for right-sizing, priced from the provider's catalogue: the capacity model's
 * figure for every type the fleet has run, and for the others one scaled by relative speed (the
 * catalogue's share of compute) from a measured type — the current one when it was measured —
 * or, before any was, from `fallback` on the current type. The basis says which, for the reason.
 */
export function typeCapacities(
  types: readonly InstanceType[],
  current: string,
  learned: ReadonlyMap<string, number>,
  fallback: number,
): TypeCapacity[] {
  const now = types.find((t) => t.name === current);
  if (!now || !(now.speed > 0)) return [];
  const usable = types.filter((t) => t.speed > 0);
  const measured = usable.filter((t) => (learned.get(t.name) ?? 0) > 0);
  const from = measured.find((t) => t.name === current) ?? measured[0];
  const reference = from
    ? { type: from, capacity: learned.get(from.name)!, basis: 'learned' }
    : { type: now, capacity: fallback, basis: 'default' };
  return usable.map((t) => {
    const own = learned.get(t.name) ?? 0;
    const price = { instanceType: t.name, hourlyPrice: t.hourlyPrice };
    if (own > 0) return { ...price, capacity: own, basis: 'learned' };
    if (t === reference.type) return { ...price, capacity: reference.capacity, basis: reference.basis };
    return {
      ...price,
      capacity: (reference.capacity * t.speed) / reference.type.speed,
      basis: `${reference.basis} on ${reference.type.name}, scaled by speed`,
    };
  });
}
