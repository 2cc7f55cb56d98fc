/**
 * Sliding-window counts per group for windowed rules, in bounded memory: each group
 * keeps SLOTS sub-buckets (window / SLOTS wide, so edges are approximate to one slot)
 * and its last few hit records as evidence. Groups live in an LRU, and a group whose window
 * has passed is dropped (its counts are all zero by then): memory follows the groups active
 * in the last window, not every group ever seen.
 */
import type { RefWithTrace } from './baseline-entry';
import { LruMap } from './lru';

export const SLOTS = 12;
/** Heap estimate of a group without its key (slot arrays, up to REFS_KEPT evidence refs with their trace ids). */
export const GROUP_BYTES = 1_500;
const REFS_KEPT = 10;
const mod = (n: number) => ((n % SLOTS) + SLOTS) % SLOTS;

/** Plain arrays, not typed arrays: groups are created at record rate and typed arrays are slow to allocate. */
class GroupWindow {
  newest = -Infinity;
  hits = 0;
  total = 0;
  readonly slotHits: number[] = new Array<number>(SLOTS).fill(0);
  /** Allocated at the first non-hit: until then every call was a hit and totals equal hits. */
  slotTotals: number[] | null = null;
  refs: Array<{ ref: RefWithTrace; timeMs: number }> | null = null;
}

/**
 * A group is dropped only when its newest slot is older than the window plus this margin,
 * measured from the newest record time seen: twice the receiver's allowed clock lead
 * (audit/normalize, 5 min), so records dated ahead within the skew cannot expire a group
 * that is still active in real time (which would reset its count and hide a burst).
 */
export const EXPIRY_MARGIN_MS = 10 * 60_000;

export interface WindowCounts {
  hits: number;
  total: number;
}

export class WindowCounter {
  private readonly groups: LruMap<string, GroupWindow>;
  private readonly slotMs: number;
  private latestMs = -Infinity;
  private sweptAtMs = -Infinity;
  /** Groups dropped because their window passed (not LRU evictions). */
  expired = 0;

  constructor(
    private readonly windowMs: number,
    maxGroups: number,
    onEvict: () => void,
    maxBytes = Infinity,
  ) {
    this.slotMs = Math.max(1, windowMs / SLOTS);
    this.groups = new LruMap(maxGroups, onEvict, { max: maxBytes, of: (key) => GROUP_BYTES + 2 * key.length });
  }

  /** Estimated bytes of the groups held. */
  get bytes(): number {
    return this.groups.bytes;
  }

  /** Counts one record (a hit or not) in its group and returns the group's window. */
  add(group: string, timeMs: number, hit: boolean, ref: RefWithTrace): WindowCounts {
    if (timeMs > this.latestMs) {
      this.latestMs = timeMs;
      // One pass over the groups per window of record time.
      if (timeMs - this.sweptAtMs >= Math.max(this.windowMs, 1000)) this.sweep();
    }
    let w = this.groups.get(group);
    if (!w) {
      w = new GroupWindow();
      this.groups.set(group, w);
    }
    const slot = Math.floor(timeMs / this.slotMs);
    if (slot > w.newest) {
      const clear = Number.isFinite(w.newest) ? Math.min(slot - w.newest, SLOTS) : SLOTS;
      for (let i = 0; i < clear; i++) {
        const idx = mod(slot - i);
        w.hits -= w.slotHits[idx] as number;
        w.slotHits[idx] = 0;
        if (w.slotTotals) {
          w.total -= w.slotTotals[idx] as number;
          w.slotTotals[idx] = 0;
        }
      }
      if (!w.slotTotals) w.total = w.hits;
      w.newest = slot;
    }
    // A record older than the window (a late arrival, or one that arrived after a record
    // dated ahead within the clock skew) counts in the oldest slot still open: dropping it
    // would let one record dated ahead switch the window off for everything after it.
    const counted = Math.max(slot, w.newest - SLOTS + 1);
    const idx = mod(counted);
    if (!hit && !w.slotTotals) w.slotTotals = [...w.slotHits];
    if (w.slotTotals) w.slotTotals[idx] = (w.slotTotals[idx] as number) + 1;
    w.total++;
    if (hit) {
      w.slotHits[idx] = (w.slotHits[idx] as number) + 1;
      w.hits++;
      if (!w.refs) w.refs = [];
      w.refs.push({ ref, timeMs: counted === slot ? timeMs : counted * this.slotMs });
      if (w.refs.length > REFS_KEPT) w.refs.shift();
    }
    return w;
  }

  /** The group's recent hit records inside the window ending at `timeMs`, oldest first. */
  evidence(group: string, timeMs: number): RefWithTrace[] {
    const w = this.groups.peek(group);
    if (!w?.refs) return [];
    const since = timeMs - this.windowMs;
    return w.refs.filter((r) => r.timeMs > since).map((r) => r.ref);
  }

  get size(): number {
    return this.groups.size;
  }

  private sweep(): void {
    this.sweptAtMs = this.latestMs;
    const before = Math.floor((this.latestMs - this.windowMs - EXPIRY_MARGIN_MS) / this.slotMs);
    for (const [key, w] of this.groups.entries()) {
      if (w.newest < before) {
        this.groups.delete(key);
        this.expired++;
      }
    }
  }

  clear(): void {
    this.groups.clear();
    this.latestMs = -Infinity;
    this.sweptAtMs = -Infinity;
  }
}
