import type { InstanceType } from '../domain/provider.js';
import { MAX_CACHE_ENTRIES_PER_SPEED } from './app-params.js';

/**
 * What an instance costs per hour given the memory its cache holds. The price pays for CPU and
 * memory; memory the cache does not hold is memory a smaller memory shape (or a neighbour) could
 * have, so the cache is charged its share of it, the way Fargate bills vCPU and GiB separately.
 * Without this a bigger cache looks free and the tuner would always fill the instance's memory.
 * It is the entries held that cost (the app's app_cache_entries gauge), not the configured limit:
 * an LRU cache allocates an entry only for a key it has seen.
 */

/**
 * Memory's share of an instance's price: Fargate's Linux/x86 rates ($0.04048 per vCPU-hour,
 * $0.004445 per GB-hour) at 4 GB per vCPU, the general-purpose ratio, put it at 0.30.
 */
export const MEMORY_PRICE_SHARE = 0.3;

/** Entries that fit the instance's memory (the sample service refuses a bigger cache). */
export function cacheCapacity(type: InstanceType): number {
  return Math.floor(MAX_CACHE_ENTRIES_PER_SPEED * type.speed);
}

export function hourlyCost(type: InstanceType, cacheEntries: number): number {
  const memoryUsed = Math.min(1, Math.max(0, cacheEntries) / cacheCapacity(type));
  return type.hourlyPrice * (1 - MEMORY_PRICE_SHARE + MEMORY_PRICE_SHARE * memoryUsed);
}
