/** A set of keys with least-recently-used eviction; a Map keeps insertion order, which is recency here. */
export class LruCache {
  private readonly keys = new Map<string, true>();

  constructor(private capacity: number) {}

  get size(): number {
    return this.keys.size;
  }

  /** True on a hit, which also makes the key the most recent. */
  lookup(key: string): boolean {
    if (!this.keys.delete(key)) return false;
    this.keys.set(key, true);
    return true;
  }

  add(key: string): void {
    this.keys.delete(key);
    this.keys.set(key, true);
    this.evict();
  }

  resize(capacity: number): void {
    this.capacity = capacity;
    this.evict();
  }

  private evict(): void {
    for (const key of this.keys.keys()) {
      if (this.keys.size <= this.capacity) return;
      this.keys.delete(key);
    }
  }
}
