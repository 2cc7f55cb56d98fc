/**
 * A bounded map that forgets cold entries, counting evictions (bounded memory is a
 * requirement: baselines, sessions and rule windows grow with the number of distinct
 * actors, tools and sessions seen).
 *
 * Two generations of max/2 entries (the quick-lru scheme): reads and writes land in
 * the young map; when it is full it becomes the old one and the previous old map is
 * evicted as a whole. An entry used at least once per generation is never evicted.
 * Evicting one entry at a time from the front of a JS Map is not an option: V8 scans
 * the deleted slots from the start on every `keys().next()`, which turns constant
 * eviction quadratic (seconds per 100k evictions).
 */
export class LruMap<K, V> {
  private young = new Map<K, V>();
  private old = new Map<K, V>();
  private readonly half: number;
  evictions = 0;

  constructor(
    readonly max: number,
    private readonly onEvict?: (key: K, value: V) => void,
  ) {
    this.half = Math.max(1, Math.floor(max / 2));
  }

  get size(): number {
    return this.young.size + this.old.size;
  }

  /** Reads and marks as recently used. */
  get(key: K): V | undefined {
    const value = this.young.get(key);
    if (value !== undefined) return value;
    const aged = this.old.get(key);
    if (aged !== undefined) {
      this.old.delete(key);
      this.promote(key, aged);
    }
    return aged;
  }

  peek(key: K): V | undefined {
    const value = this.young.get(key);
    return value !== undefined ? value : this.old.get(key);
  }

  has(key: K): boolean {
    return this.young.has(key) || this.old.has(key);
  }

  set(key: K, value: V): void {
    if (this.young.has(key)) {
      this.young.set(key, value);
      return;
    }
    this.old.delete(key);
    this.promote(key, value);
  }

  private promote(key: K, value: V): void {
    this.young.set(key, value);
    if (this.young.size < this.half) return;
    const dropped = this.old;
    this.old = this.young;
    this.young = new Map();
    for (const [k, v] of dropped) {
      this.evictions++;
      this.onEvict?.(k, v);
    }
  }

  delete(key: K): boolean {
    const a = this.young.delete(key);
    const b = this.old.delete(key);
    return a || b;
  }

  clear(): void {
    this.young = new Map();
    this.old = new Map();
  }

  *values(): IterableIterator<V> {
    for (const [, v] of this.entries()) yield v;
  }

  /** Oldest generation first. */
  *entries(): IterableIterator<[K, V]> {
    yield* this.old;
    yield* this.young;
  }
}
