/**
 * A Map capped at `max` entries that forgets the least recently used one, counting
 * evictions (bounded memory is a requirement: baselines, sessions and rule windows
 * all grow with the number of distinct actors, tools and sessions seen).
 *
 * Recency is approximate, to keep reads cheap on the hot path: a read moves an entry
 * to the young end only when more than max/4 insertions happened since it last moved.
 * An entry read at least once per max/4 insertions can therefore never reach the old
 * end and be evicted.
 */
interface Slot<V> {
  value: V;
  stamp: number;
}

export class LruMap<K, V> {
  private readonly map = new Map<K, Slot<V>>();
  private readonly slack: number;
  private clock = 0;
  evictions = 0;

  constructor(
    readonly max: number,
    private readonly onEvict?: (key: K, value: V) => void,
  ) {
    this.slack = Math.max(1, max >> 2);
  }

  get size(): number {
    return this.map.size;
  }

  /** Reads and marks as recently used. */
  get(key: K): V | undefined {
    const slot = this.map.get(key);
    if (slot === undefined) return undefined;
    if (this.clock - slot.stamp > this.slack) {
      this.map.delete(key);
      this.map.set(key, slot);
      slot.stamp = this.clock;
    }
    return slot.value;
  }

  peek(key: K): V | undefined {
    return this.map.get(key)?.value;
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  set(key: K, value: V): void {
    this.clock++;
    const slot = this.map.get(key);
    if (slot !== undefined) {
      slot.value = value;
      this.map.delete(key);
      this.map.set(key, slot);
      slot.stamp = this.clock;
      return;
    }
    this.map.set(key, { value, stamp: this.clock });
    while (this.map.size > this.max) {
      const oldest = this.map.entries().next();
      if (oldest.done) break;
      const [oldKey, oldSlot] = oldest.value;
      this.map.delete(oldKey);
      this.evictions++;
      this.onEvict?.(oldKey, oldSlot.value);
    }
  }

  delete(key: K): boolean {
    return this.map.delete(key);
  }

  clear(): void {
    this.map.clear();
  }

  *values(): IterableIterator<V> {
    for (const slot of this.map.values()) yield slot.value;
  }

  *entries(): IterableIterator<[K, V]> {
    for (const [k, slot] of this.map) yield [k, slot.value];
  }
}
