import type { AuditDraft, AuditRecord } from '@mcptrail/conventions';
import { sealDraft, type SealedRecord } from '../chain/hash';
import { buildCheckpoint, defaultOrigin } from '../chain/checkpoint';
import type { CheckpointSigner } from '../chain/signing';
import type { Checkpoint, CheckpointState, ChainHead, SealOutcome, SealPlan, TrailWriter } from '../store/types';
import { decodeDone, decodeInbox, encodeDone, type InboxDraft } from './inbox-codec';
import { draftOf, inboxProgressOf, PairingBook, type EntryState, type PendingCall } from './pairing';
import type { TrailLogger } from './types';

/**
 * Calls per seal transaction at most. It holds the trail's write lock, and every
 * acknowledgement (an inbox append) waits for the transaction in flight: 2,000 calls were
 * 150-290 ms transactions on the 2-core box under 8 MiB requests; 500 held the write gate
 * p99 33 ms, 250 p99 20 ms (bench/RESULTS.md, latency s23) at no measurable cost in throughput.
 */
const SEAL_BATCH = 250;
/** Under load a seal pass starts at most coalesceMs after the previous one began (see pipeline). */
const SEAL_COALESCE_MIN = 256;
/** setTimeout's ceiling (a longer delay fires at once). */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface SealerCounters {
  sealed: number;
  duplicates: number;
  /** Client-side calls consumed because the server-side record of the same call arrived. */
  superseded: number;
  checkpoints: number;
}

export interface SealerOptions {
  store: TrailWriter & { readonly chainId: string };
  signer: CheckpointSigner;
  /** Origin line of the checkpoint notes. Default `mcptrail/<chain_id>`. */
  origin?: string;
  logger: TrailLogger;
  clock: () => number;
  windowMs: number;
  /**
   * How long a client-side call waits for the server-side record that supersedes it before it is sealed
   * as the record (client-side audit for servers you cannot instrument); 0: client calls are not fallbacks.
   */
  clientWindowMs: number;
  checkpointRecords: number;
  checkpointMs: number;
  coalesceMs: number;
  /**
   * A keyed half still alone this long after it arrived is handed to `onLoneHalves` for
   * detection before it is sealed (its partner may still come within windowMs); 0: lone halves are
   * detected when sealed. See detectLoneHalves().
   */
  loneHalfMs?: number;
  /** Drafts of calls detected before sealing (each once; see loneHalfMs), before any onSealed that seals them. */
  onLoneHalves?: (drafts: AuditDraft[]) => void;
  /** Records just committed into the chain, in chain order, and how many acknowledged halves they consumed. */
  onSealed: (records: AuditRecord[], released: number) => void;
  /** Each checkpoint just committed (witness publication). */
  onCheckpoint?: (checkpoint: Checkpoint) => void;
}

/**
 * The seal stage: pairs acknowledged halves in memory and seals them into the chain, one
 * bounded transaction at a time, with checkpoints by count and on a timer. It runs on the
 * receiving thread or on its own (sealer-worker.ts); either way it only hears of an inbox
 * entry after its append committed.
 */
export class Sealer {
  private readonly book: PairingBook;
  private sealing: Promise<void> | null = null;
  private sealAgain = false;
  private lastSealAt = -Infinity;
  private lastSealRecords = 0;
  private coalesceTimer: NodeJS.Timeout | null = null;
  private sealTimer: NodeJS.Timeout | null = null;
  private sealTimerAt = Infinity;
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly checkpointTimer: NodeJS.Timeout;
  private closed = false;
  readonly counters: SealerCounters = { sealed: 0, duplicates: 0, superseded: 0, checkpoints: 0 };
  private lastSigned: Checkpoint | null = null;

  constructor(private readonly o: SealerOptions) {
    this.book = new PairingBook(o.clientWindowMs > 0);
    this.checkpointTimer = setInterval(() => void this.checkpointIfBehind().catch((err: unknown) => this.logFailure('checkpoint', err)), o.checkpointMs);
    this.checkpointTimer.unref();
  }

  /** Acknowledged halves held (not yet sealed or dropped). */
  held(): number {
    return this.book.halves;
  }

  /**
   * Drafts acknowledged before a restart (inbox entries not yet consumed) are paired again;
   * returns how many. Call before the first add().
   */
  async recover(): Promise<number> {
    // The genesis checkpoint of a new chain, or the tail a crash left unsigned (before any write of ours).
    await this.checkpointIfBehind().catch((err: unknown) => this.logFailure('checkpoint', err));
    const entries = await this.o.store.readInbox();
    if (entries.length === 0) return 0;
    const now = this.o.clock();
    let drafts = 0;
    for (const e of entries) {
      let items: InboxDraft[];
      let done: Set<number>;
      try {
        items = decodeInbox(e.payload);
        done = decodeDone(e.done);
      } catch (err) {
        this.o.logger.error('audit inbox entry unreadable; left in place', { id: e.id, error: (err as Error).message });
        continue;
      }
      const entry: EntryState = { id: e.id, remaining: items.length - done.size, keylessDone: [...done] };
      items.forEach((item, index) => {
        if (done.has(index)) return;
        this.book.add({ ...item, entry, index }, this.readyAt(item, now), now);
        drafts++;
      });
    }
    this.o.logger.info('sealing audit drafts acknowledged before restart', { entries: entries.length, drafts });
    this.requestSeal();
    return drafts;
  }

  /** The drafts of inbox entry `id`, just committed. */
  add(id: number, rows: readonly InboxDraft[]): void {
    const now = this.o.clock();
    const entry: EntryState = { id, remaining: rows.length, keylessDone: [] };
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      this.book.add({ ...row, entry, index: i }, this.readyAt(row, now), now);
    }
    this.requestSeal();
  }

  /** A half alone is sealed at: now (no partner can come), after the client fallback window, or the pairing window. */
  private readyAt(row: InboxDraft, now: number): number {
    if (row.sealNow) return now;
    return now + (this.o.clientWindowMs > 0 && row.draft.side === 'client' ? Math.max(this.o.clientWindowMs, this.o.windowMs) : this.o.windowMs);
  }

  /** Starts the seal loop (coalesced under load), or asks the running one for another pass. */
  private requestSeal(): void {
    if (this.closed) return;
    if (this.sealing) {
      this.sealAgain = true;
      return;
    }
    if (this.coalesceTimer) return;
    const wait = this.lastSealRecords >= SEAL_COALESCE_MIN ? this.lastSealAt + this.o.coalesceMs - performance.now() : 0;
    if (wait > 0) {
      this.coalesceTimer = setTimeout(() => {
        this.coalesceTimer = null;
        this.requestSeal();
      }, Math.min(wait, MAX_TIMER_MS));
      this.coalesceTimer.unref();
      return;
    }
    this.lastSealAt = performance.now();
    this.lastSealRecords = 0;
    void this.runSeal(false).catch((err: unknown) => {
      this.logFailure('seal', err);
      this.retryLater();
    });
  }

  /** The only way a seal pass starts: one transaction chain at a time. */
  private runSeal(all: boolean): Promise<void> {
    const run = this.sealReady(all).finally(() => {
      this.sealing = null;
      if (this.sealAgain && !this.closed) {
        this.sealAgain = false;
        this.requestSeal();
      }
    });
    this.sealing = run.catch(() => undefined);
    return run;
  }

  private retryLater(): void {
    if (this.closed || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.requestSeal();
    }, 1000);
    this.retryTimer.unref();
  }

  private armSealTimer(): void {
    const ready = this.book.nextReadyAt();
    const lone = this.loneHalfMs() > 0 ? this.book.nextLoneHalfAt(this.loneHalfMs()) : null;
    const next = ready === null ? lone : lone === null ? ready : Math.min(ready, lone);
    if (next === null || this.closed) return;
    if (this.sealTimer && next >= this.sealTimerAt) return;
    if (this.sealTimer) clearTimeout(this.sealTimer);
    this.sealTimerAt = next;
    this.sealTimer = setTimeout(() => {
      this.sealTimer = null;
      this.sealTimerAt = Infinity;
      this.requestSeal();
    }, Math.min(MAX_TIMER_MS, Math.max(0, next - this.o.clock()) + 1));
    this.sealTimer.unref();
  }

  /** Seals what is due (or everything when `all`), one bounded transaction at a time. */
  private async sealReady(all: boolean): Promise<void> {
    if (!all) await this.detectLoneHalves();
    for (;;) {
      const sealed = await this.sealBatch(all);
      if (sealed === null) break;
      this.o.onSealed(sealed.records, sealed.released);
    }
    if (!this.closed) this.armSealTimer();
  }

  private loneHalfMs(): number {
    return this.o.onLoneHalves ? (this.o.loneHalfMs ?? 0) : 0;
  }

  /**
   * Alert latency without giving up the merge: a half whose partner has not come within
   * loneHalfMs (well under a second) goes to detection now, as the draft it is, while it keeps
   * waiting up to windowMs for its partner (exporters flush spans and log records on
   * different schedules, seconds apart); the record is still sealed once, merged. Detection
   * counts the call at this point and, when the sealed record arrives, only fills the alert
   * evidence in with its seq (replica/detection-state.ts): one count either way. A half whose
   * call the trail already holds (an exporter's late retry) is not handed over: the store's
   * call-once check decides, in a transaction that writes nothing, so a retry never counts twice.
   */
  private async detectLoneHalves(): Promise<void> {
    const afterMs = this.loneHalfMs();
    if (afterMs <= 0) return;
    const calls = this.book.takeLoneHalves(this.o.clock(), afterMs, SEAL_BATCH);
    if (calls.length === 0) return;
    let unsealed: PendingCall[] = [];
    try {
      await this.o.store.sealCalls(
        calls,
        (fresh: PendingCall[]) => {
          unsealed = fresh;
          return { records: [], checkpoint: null };
        },
        { consumed: [], noted: [] },
      );
    } catch (err) {
      // Detected when sealed instead (the store is failing; the seal pass retries).
      this.logFailure('lone-half detection', err);
      return;
    }
    if (unsealed.length > 0) this.o.onLoneHalves!(unsealed.map(draftOf));
  }

  /** One transaction: paired calls → chain → checkpoint, inbox entries consumed. null when nothing was due. */
  private async sealBatch(all: boolean): Promise<{ records: AuditRecord[]; released: number } | null> {
    const calls = this.book.take(all ? Infinity : this.o.clock(), SEAL_BATCH);
    if (calls.length === 0) return null;
    const store = this.o.store;
    const chainId = store.chainId;
    const progress = inboxProgressOf(calls);
    let superseded = 0;
    let out: SealOutcome;
    try {
      out = await store.sealCalls(
        calls,
        (fresh: PendingCall[], start, last): SealPlan => {
          let head = start;
          const records: SealedRecord[] = [];
          superseded = 0;
          for (const call of fresh) {
            if (call.superseded) {
              superseded++;
              continue;
            }
            const s = this.sealSafely(draftOf(call), chainId, head);
            head = { seq: s.record.seq, hash: s.record.hash };
            records.push(s);
          }
          const due = records.length > 0 && head.seq - (last?.seq ?? 0) >= this.o.checkpointRecords;
          return { records, checkpoint: due ? (state) => this.sign(state) : null };
        },
        { consumed: progress.consumed.map((e) => e.id), noted: progress.noted.map((n) => ({ id: n.entry.id, done: encodeDone(n.done) })) },
      );
    } catch (err) {
      // Still acknowledged and in the inbox: kept in memory for the next pass.
      this.book.putBack(calls);
      throw err;
    }
    progress.apply();
    const before = this.book.halves;
    this.book.release(calls);
    this.lastSealRecords += out.records.length;
    this.counters.duplicates += out.duplicates;
    this.counters.superseded += superseded;
    this.counters.sealed += out.records.length;
    if (out.checkpointed) this.checkpointed();
    return { records: out.records, released: before - this.book.halves };
  }

  /**
   * A draft that cannot be serialised must not block the chain behind it (it was
   * acknowledged, so it must be sealed): its arguments give way to a marker.
   */
  private sealSafely(draft: AuditDraft, chainId: string, head: ChainHead): SealedRecord {
    try {
      return sealDraft(draft, chainId, head);
    } catch (err) {
      this.o.logger.error('audit draft not serialisable; sealing it without arguments', { error: (err as Error).message, span_id: draft.span_id });
      return sealDraft({ ...draft, args: { $unserializable: true } }, chainId, head);
    }
  }

  private sign(state: CheckpointState): Checkpoint {
    // Never earlier than the previous checkpoint, whatever the wall clock did.
    const time = new Date(Math.max(this.o.clock(), state.last ? Date.parse(state.last.time) || 0 : 0)).toISOString();
    const chainId = this.o.store.chainId;
    this.lastSigned = buildCheckpoint(state, { chainId, origin: this.o.origin ?? defaultOrigin(chainId), time, signer: this.o.signer });
    return this.lastSigned;
  }

  /** After the transaction that stored `lastSigned` committed. */
  private checkpointed(): void {
    this.counters.checkpoints++;
    if (!this.lastSigned || !this.o.onCheckpoint) return;
    try {
      this.o.onCheckpoint(this.lastSigned);
    } catch (err) {
      this.logFailure('checkpoint publication', err);
    }
  }

  /**
   * Time-based checkpoint (and the genesis one, and the final one at close): only when the
   * chain or its alert history moved since the last.
   */
  async checkpointIfBehind(): Promise<void> {
    const signed = await this.o.store.checkpointHead((state) =>
      state.last === null || state.head.seq > state.last.seq || state.alerts.seq > state.last.alerts_seq ? this.sign(state) : null,
    );
    if (signed) this.checkpointed();
  }

  private logFailure(what: string, err: unknown): void {
    this.o.logger.error(`audit ${what} failed; will retry`, { error: (err as Error).message });
  }

  /** Seals everything held, pairing window or not. */
  async flush(): Promise<void> {
    while (this.sealing) await this.sealing;
    await this.runSeal(true);
  }

  /** Stops the timers, seals everything held, signs a final checkpoint. */
  async close(): Promise<void> {
    if (this.closed) return;
    while (this.sealing) await this.sealing;
    this.closed = true;
    clearInterval(this.checkpointTimer);
    if (this.sealTimer) clearTimeout(this.sealTimer);
    if (this.coalesceTimer) clearTimeout(this.coalesceTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.runSeal(true);
    await this.checkpointIfBehind();
  }
}
