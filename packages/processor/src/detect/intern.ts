/**
 * One copy of each repeated identity string. Every sealed record arrives with its own copies
 * of `service`, `tool`, `actor_id` and `chain_id` (decoded from JSON, or cloned from the sealer
 * thread); detection keeps them in baseline entries, session steps and evidence refs, so
 * without interning a hot actor's name is held once per structure that saw it. Bounded by
 * count and bytes like every other detection state; a long string (over MAX_INTERNED_CHARS)
 * is passed through, so a flood of unique huge names cannot fill the table.
 */
import { LruMap } from './lru';

const MAX_INTERNED_CHARS = 256;
const STRING_BYTES = 32;

export class Interner {
  private readonly strings: LruMap<string, string>;

  constructor(maxEntries = 65_536, maxBytes = 8 * 1024 * 1024) {
    this.strings = new LruMap<string, string>(maxEntries, undefined, { max: maxBytes, of: (key) => STRING_BYTES + 2 * key.length });
  }

  intern(s: string): string;
  intern(s: string | null): string | null;
  intern(s: string | null): string | null {
    if (s === null || s.length > MAX_INTERNED_CHARS) return s;
    const held = this.strings.get(s);
    if (held !== undefined) return held;
    this.strings.set(s, s);
    return s;
  }

  get size(): number {
    return this.strings.size;
  }

  clear(): void {
    this.strings.clear();
  }
}
