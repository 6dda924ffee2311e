import type { InstanceType } from '../../domain/provider.js';

/**
 * The local cloud's instance types. Price grows in proportion to speed, so no type is cheaper per
 * unit of capacity: choosing one is about pool size, cache and the latency SLO, not a bargain.
 */
export const LOCAL_INSTANCE_TYPES: readonly InstanceType[] = [
  { name: 'local.small', speed: 1, hourlyPrice: 0.02 },
  { name: 'local.medium', speed: 2, hourlyPrice: 0.04 },
  { name: 'local.large', speed: 4, hourlyPrice: 0.08 },
];

export function findInstanceType(name: string): InstanceType | undefined {
  return LOCAL_INSTANCE_TYPES.find((t) => t.name === name);
}
