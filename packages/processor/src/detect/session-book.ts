/**
 * What sequence rules remember per session and per trace, in memory bounded by bytes
 * (an estimate of what each entry holds) and by entry count, with fair-share eviction:
 * every entry belongs to the sender that created it (the strongest identity the
 * receiver knows, see `senderOf`), and when the book is full it evicts the oldest entry
 * of the sender holding the most bytes. A sender flooding sessions therefore evicts its
 * own, never another sender's, as long as the other holds less than the flooder.
 *
 * State is per rule pair, not a list of steps: a session keeps its last step (for
 * never-seen transitions) and, for each `from → to` pair, its latest `from` step, so any
 * number of calls may come in between; only time (the pair's maxspan) bounds a sequence.
 */
import type { RefWithTrace } from './baseline-entry';

export interface SessionStep {
  tool: string;
  timeMs: number;
  ref: RefWithTrace;
}

/** Rough heap cost of an entry and of a step: JS strings are UTF-16, objects have headers. */
const ENTRY_BYTES = 200;
const STEP_BYTES = 120;
/** Distinct senders tracked one by one; past it new senders share one quota (flood-proof scans). */
export const MAX_SENDERS = 4_096;
export const OVERFLOW_SENDER = '(other senders)';

const stepBytes = (s: SessionStep) => STEP_BYTES + 2 * (s.tool.length + s.ref.chain_id.length);

interface Sender {
  id: string;
  bytes: number;
  /** Insertion order = least recently used first. */
  entries: Map<string, SessionState>;
  /** Live iterator over `entries`: eviction walks forward instead of rescanning deleted slots. */
  cursor: Iterator<SessionState> | null;
}

export class SessionState {
  prev: SessionStep | null = null;
  private marks: Map<string, SessionStep> | null = null;
  /** Bytes as last accounted by the book; `bytes` is the current estimate. */
  accounted = 0;
  bytes: number;

  constructor(
    readonly key: string,
    readonly owner: Sender,
  ) {
    this.bytes = ENTRY_BYTES + 2 * key.length;
  }

  /** The latest step recorded under `mark` (a rule pair), or undefined. */
  markOf(mark: string): SessionStep | undefined {
    return this.marks?.get(mark);
  }

  mark(mark: string, step: SessionStep): void {
    if (!this.marks) this.marks = new Map();
    const old = this.marks.get(mark);
    this.bytes += old ? stepBytes(step) - stepBytes(old) : stepBytes(step) + 2 * mark.length;
    this.marks.set(mark, step);
  }

  setPrev(step: SessionStep): void {
    this.bytes += stepBytes(step) - (this.prev ? stepBytes(this.prev) : 0);
    this.prev = step;
  }
}

export class SessionBook {
  private readonly all = new Map<string, SessionState>();
  private readonly senders = new Map<string, Sender>();
  private heaviest: Sender | null = null;
  private total = 0;
  evictions = 0;

  constructor(
    readonly maxBytes: number,
    readonly maxEntries: number,
  ) {}

  get size(): number {
    return this.all.size;
  }

  get bytes(): number {
    return this.total;
  }

  /** The entry (marked as recently used), or undefined. */
  get(key: string): SessionState | undefined {
    const state = this.all.get(key);
    if (state) {
      const entries = state.owner.entries;
      entries.delete(key);
      entries.set(key, state);
    }
    return state;
  }

  /** The entry, created for `sender` when missing. */
  obtain(sender: string, key: string): SessionState {
    const found = this.get(key);
    if (found) return found;
    const owner = this.senderFor(sender);
    const state = new SessionState(key, owner);
    this.all.set(key, state);
    owner.entries.set(key, state);
    this.settle(state);
    return state;
  }

  /** Accounts for what `state` gained or lost since it was last settled, then evicts while over budget. */
  settle(state: SessionState): void {
    if (this.all.get(state.key) !== state) return; // evicted meanwhile
    const delta = state.bytes - state.accounted;
    state.accounted = state.bytes;
    state.owner.bytes += delta;
    this.total += delta;
    if (!this.heaviest || state.owner.bytes > this.heaviest.bytes) this.heaviest = state.owner;
    while (this.total > this.maxBytes || this.all.size > this.maxEntries) {
      if (!this.evictOne()) break;
    }
  }

  /** Byte use per sender (diagnostics and tests). */
  usage(): Map<string, { entries: number; bytes: number }> {
    const out = new Map<string, { entries: number; bytes: number }>();
    for (const s of this.senders.values()) out.set(s.id, { entries: s.entries.size, bytes: s.bytes });
    return out;
  }

  clear(): void {
    this.all.clear();
    this.senders.clear();
    this.heaviest = null;
    this.total = 0;
  }

  private senderFor(id: string): Sender {
    let s = this.senders.get(id);
    if (s) return s;
    if (this.senders.size >= MAX_SENDERS) id = OVERFLOW_SENDER;
    s = this.senders.get(id);
    if (!s) {
      s = { id, bytes: 0, entries: new Map(), cursor: null };
      this.senders.set(id, s);
    }
    return s;
  }

  /**
   * The heaviest sender is tracked as entries grow (a sender becomes it by outgrowing it)
   * and found again by one scan only when it runs empty, so a flood costs O(1) per entry.
   */
  private evictOne(): boolean {
    if (!this.heaviest || this.heaviest.entries.size === 0) {
      this.heaviest = null;
      for (const s of this.senders.values()) if (s.entries.size > 0 && (!this.heaviest || s.bytes > this.heaviest.bytes)) this.heaviest = s;
    }
    const sender = this.heaviest;
    if (!sender) return false;
    for (let pass = 0; pass < 2; pass++) {
      sender.cursor ??= sender.entries.values();
      const next = sender.cursor.next();
      if (next.done) {
        sender.cursor = null;
        continue;
      }
      const state = next.value;
      sender.entries.delete(state.key);
      this.all.delete(state.key);
      sender.bytes -= state.accounted;
      this.total -= state.accounted;
      this.evictions++;
      if (sender.entries.size === 0) {
        this.senders.delete(sender.id);
        this.heaviest = null;
      }
      return true;
    }
    return false;
  }
}
