import type { CountRow } from './aggregate';
import type { RollupQuery } from './rollup-sql';

export type { RollupDimension, RollupQuery } from './rollup-sql';

export interface RollupAnswer {
  rows: CountRow[];
  /**
   * Records sealed but not in `rows`: 0 means exact (what a scan of the records gives).
   * Above ROLLUP_MAX_TAIL (a catch-up in progress, e.g. the first start on a large trail)
   * they are left out rather than counted one by one in this request.
   */
  pending: number;
}

export interface TrailRollup {
  count(q: RollupQuery): Promise<RollupAnswer>;
  /** Rolls up at most `maxRecords` more records; `behind`: records still not rolled up. */
  step(maxRecords?: number): Promise<RollupStep>;
  /** Stops a stepping worker, if any (the store's close calls it). */
  close(): Promise<void>;
}

export interface RollupStep {
  rolled: number;
  behind: number;
  /** How long the step's write transaction held the trail's write lock (SQLite: the process's write gate), ms. */
  heldMs: number;
}

/** Records per step at most: 20-40 ms of SQLite CPU (≈5 µs a record to read its columns, ≈5 µs to count it in). */
export const ROLLUP_STEP_RECORDS = 2_000;
/**
 * What a catch-up step aims to hold the write lock for: acknowledgements wait for it. Counting a
 * record in costs from ≈5 µs (records that share their buckets) to ≈40 µs (each record its own
 * minute and actor: 2,000 held the gate 80-200 ms while a 1M-record trail was caught up), so the
 * catch-up sizes its next step from the last one's hold (console/rollup-catch-up.ts).
 */
export const ROLLUP_STEP_HOLD_MS = 10;
export const ROLLUP_MIN_STEP_RECORDS = 50;
/**
 * A step grows at most this factor over the last one. The cost per record is not steady (a step
 * whose records share their buckets is cheap, the next may not be): sized from a 4 ms hold alone,
 * the next step of a 1M-record catch-up held the gate 32-40 ms.
 */
export const ROLLUP_STEP_GROWTH = 1.25;
/** A count reads at most this many not-yet-rolled records itself (≈60 ms on SQLite). */
export const ROLLUP_MAX_TAIL = 10_000;

export interface ChainState {
  chain_id: string;
  head: number | null;
  low: number | null;
  rolled: number | null;
}

/** Where each chain's records not rolled up yet begin. */
export function tailOf(chains: readonly ChainState[]): Array<{ chain_id: string; after: number; head: number }> {
  const out: Array<{ chain_id: string; after: number; head: number }> = [];
  for (const c of chains) {
    if (c.head === null || c.low === null) continue;
    out.push({ chain_id: c.chain_id, after: Math.max(c.rolled ?? c.low - 1, c.low - 1), head: c.head });
  }
  return out;
}

/** Records of the chains not rolled up yet (seqs are contiguous within a chain). */
export function pendingOf(chains: readonly ChainState[]): number {
  let n = 0;
  for (const c of chains) {
    if (c.head === null || c.low === null) continue;
    n += Math.max(0, c.head - Math.max(c.rolled ?? c.low - 1, c.low - 1));
  }
  return n;
}

/** What one step does to one chain: start over (rows lost their records), then count [from, to]. */
export interface ChainStep {
  reset: boolean;
  low: number;
  rolled: number;
  from: number;
  to: number;
}

/**
 * `cursor`: what the rollup counted ([low, rolled]); `min`/`head`: the chain's records now.
 * Counted records that are gone without a forget (purged by a build without the rollup, or
 * the file swapped) make the chain start over: the counts must never include a lost record.
 */
export function planChainStep(cursor: { low: number; rolled: number } | null, min: number | null, head: number | null, budget: number): ChainStep | null {
  const counted = cursor !== null && cursor.rolled >= cursor.low;
  if (min === null || head === null) {
    return counted && cursor ? { reset: true, low: cursor.rolled + 1, rolled: cursor.rolled, from: 1, to: 0 } : null;
  }
  let low = cursor?.low ?? min;
  let rolled = cursor?.rolled ?? min - 1;
  let reset = false;
  if (cursor && (min < cursor.low || (min > cursor.low && counted))) {
    reset = counted;
    low = min;
    rolled = min - 1;
  } else if (cursor && min > cursor.low) {
    low = min;
    rolled = Math.max(rolled, min - 1);
  }
  const to = Math.min(head, rolled + budget);
  if (!reset && cursor && low === cursor.low && rolled === cursor.rolled && to <= rolled) return null;
  return { reset, low, rolled: Math.max(rolled, to), from: rolled + 1, to };
}
