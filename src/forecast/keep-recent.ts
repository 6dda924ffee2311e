/**
 * Sets `key` as the most recently used entry of `map` (a Map iterates in insertion order), then
 * drops the least recently used one beyond `max`: the per-set caches' bound.
 */
export function keepRecent<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > max) map.delete(map.keys().next().value!);
}
