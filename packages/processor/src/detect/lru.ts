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
 *
 * Bounded by bytes as well as by count when given `bytes`: an estimate of each entry's heap
 * cost (from its key's length, say: a flood of huge keys must not fit 100k of them), and a
 * generation also turns over once it holds half the byte budget. The estimate is taken when
 * an entry comes in and must not change while it is held (it is subtracted as it was added).
 */
export interface LruBytes<K, V> {
  max: number;
  of: (key: K, value: V) => number;
}

export class LruMap<K, V> {
  private young = new Map<K, V>();
  private old = new Map<K, V>();
  private readonly half: number;
  private youngBytes = 0;
  private oldBytes = 0;
  evictions = 0;

  constructor(
    readonly max: number,
    private readonly onEvict?: (key: K, value: V) => void,
    private readonly budget?: LruBytes<K, V>,
  ) {
    this.half = Math.max(1, Math.floor(max / 2));
  }

  get size(): number {
    return this.young.size + this.old.size;
  }

  /** Estimated bytes held (0 without a byte budget). */
  get bytes(): number {
    return this.youngBytes + this.oldBytes;
  }

  /** Reads and marks as recently used. */
  get(key: K): V | undefined {
    const value = this.young.get(key);
    if (value !== undefined) return value;
    const aged = this.old.get(key);
    if (aged !== undefined) {
      this.old.delete(key);
      if (this.budget) this.oldBytes -= this.budget.of(key, aged);
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
    const held = this.young.get(key);
    if (held !== undefined || this.young.has(key)) {
      if (this.budget) this.youngBytes += this.budget.of(key, value) - this.budget.of(key, held as V);
      this.young.set(key, value);
      return;
    }
    const aged = this.old.get(key);
    if (aged !== undefined || this.old.has(key)) {
      this.old.delete(key);
      if (this.budget) this.oldBytes -= this.budget.of(key, aged as V);
    }
    this.promote(key, value);
  }

  private promote(key: K, value: V): void {
    this.young.set(key, value);
    if (this.budget) this.youngBytes += this.budget.of(key, value);
    if (this.young.size < this.half && (!this.budget || this.youngBytes < this.budget.max / 2)) return;
    const dropped = this.old;
    this.old = this.young;
    this.oldBytes = this.youngBytes;
    this.youngBytes = 0;
    this.young = new Map();
    for (const [k, v] of dropped) {
      this.evictions++;
      this.onEvict?.(k, v);
    }
  }

  delete(key: K): boolean {
    if (this.budget) {
      if (this.young.has(key)) this.youngBytes -= this.budget.of(key, this.young.get(key) as V);
      else if (this.old.has(key)) this.oldBytes -= this.budget.of(key, this.old.get(key) as V);
    }
    const a = this.young.delete(key);
    const b = this.old.delete(key);
    return a || b;
  }

  clear(): void {
    this.young = new Map();
    this.old = new Map();
    this.youngBytes = 0;
    this.oldBytes = 0;
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
