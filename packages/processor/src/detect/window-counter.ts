/**
 * Sliding-window counts per group for windowed rules, in bounded memory: each group
 * keeps SLOTS sub-buckets (window / SLOTS wide, so edges are approximate to one slot)
 * and its last few hit records as evidence. Groups live in an LRU.
 */
import type { RefWithTrace } from './baseline-entry';
import { LruMap } from './lru';

export const SLOTS = 12;
const REFS_KEPT = 10;

class GroupWindow {
  newest = -Infinity;
  readonly hits = new Uint32Array(SLOTS);
  readonly totals = new Uint32Array(SLOTS);
  readonly refs: Array<{ ref: RefWithTrace; timeMs: number }> = [];
}

export interface WindowCounts {
  hits: number;
  total: number;
  /** Recent hit records inside the window, oldest first. */
  refs: RefWithTrace[];
}

export class WindowCounter {
  private readonly groups: LruMap<string, GroupWindow>;
  private readonly slotMs: number;

  constructor(
    private readonly windowMs: number,
    maxGroups: number,
    onEvict: () => void,
  ) {
    this.slotMs = Math.max(1, windowMs / SLOTS);
    this.groups = new LruMap(maxGroups, onEvict);
  }

  /** Counts one record (a hit or not) in its group and returns the window's counts. */
  add(group: string, timeMs: number, hit: boolean, ref: RefWithTrace): WindowCounts {
    let w = this.groups.get(group);
    if (!w) {
      w = new GroupWindow();
      this.groups.set(group, w);
    }
    const slot = Math.floor(timeMs / this.slotMs);
    if (slot > w.newest) {
      const clear = Number.isFinite(w.newest) ? Math.min(slot - w.newest, SLOTS) : SLOTS;
      for (let i = 0; i < clear; i++) {
        const idx = (slot - i) % SLOTS;
        w.hits[idx] = 0;
        w.totals[idx] = 0;
      }
      w.newest = slot;
    }
    if (slot > w.newest - SLOTS) {
      const idx = slot % SLOTS;
      w.totals[idx] = (w.totals[idx] as number) + 1;
      if (hit) {
        w.hits[idx] = (w.hits[idx] as number) + 1;
        w.refs.push({ ref, timeMs });
        if (w.refs.length > REFS_KEPT) w.refs.shift();
      }
    }
    let hits = 0;
    let total = 0;
    for (let i = 0; i < SLOTS; i++) {
      hits += w.hits[i] as number;
      total += w.totals[i] as number;
    }
    const since = timeMs - this.windowMs;
    return { hits, total, refs: w.refs.filter((r) => r.timeMs > since).map((r) => r.ref) };
  }

  clear(): void {
    this.groups.clear();
  }
}
