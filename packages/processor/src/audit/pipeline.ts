import type { AuditDraft, AuditRecord } from '@mcptrail/conventions';
import { sealDraft, type SealedRecord } from '../chain/hash';
import type { CheckpointSigner } from '../chain/signing';
import type { DecodedLogs, DecodedTraces, IngestResult, IngestSink } from '../otlp/types';
import type { Checkpoint, ChainHead, SealPlan, TrailStore } from '../store/types';
import { OverloadError } from '../http/receiver';
import { AuditError } from './errors';
import { decodeDone, decodeInbox, encodeDone, encodeInbox, type InboxDraft } from './inbox-codec';
import { normalizeLog, normalizeSpan, type Normalized } from './normalize';
import { draftOf, inboxProgressOf, PairingBook, type EntryState, type PendingCall } from './pairing';
import type { NormalizeOptions, TrailLogger, TrailRedactor } from './types';

export interface AuditPipeline extends IngestSink {
  /** Called after records are committed into the chain, in chain order, one call at a time. */
  onSealed(listener: (records: AuditRecord[]) => void | Promise<void>): void;
  /** Seals everything staged (pairing window or not) and waits for the listeners. */
  flush(): Promise<void>;
  /** Stops accepting, flushes, signs a final checkpoint. Does not close the store. */
  close(): Promise<void>;
  /** Counters for health and diagnostics. */
  stats(): AuditPipelineStats;
}

export interface AuditPipelineStats {
  staged: number;
  sealed: number;
  duplicates: number;
  rejected: number;
  checkpoints: number;
}

export interface AuditPipelineOptions {
  /** SQLite or PostgreSQL: anything that implements the TrailWriter seam. */
  store: TrailStore;
  redactor: TrailRedactor;
  signer: CheckpointSigner;
  /** Sign a checkpoint after this many records or seconds, whichever comes first. Default 1000 / 60. */
  checkpointEvery?: { records: number; seconds: number };
  /** How long a span waits for its audit log record (and vice versa) before sealing alone. Default 1000. */
  pairingWindowMs?: number;
  logger: TrailLogger;
  clock?: () => number;
  /** See NormalizeOptions.includeClientSpans. Default false. */
  includeClientSpans?: boolean;
  /** See NormalizeOptions.identityMismatch. Default 'reject'. */
  identityMismatch?: NormalizeOptions['identityMismatch'];
  /** Bound on acknowledged-but-unsealed + pending drafts; past it ingestion throws OverloadError (503). Default 100000. */
  maxStaged?: number;
  /**
   * Under load (the previous seal pass sealed at least 256 records) the next pass starts at
   * most this many ms after the previous one began, so one transaction takes the drafts of
   * several staging commits. 0: every staging commit triggers its own pass. Default 25.
   */
  sealCoalesceMs?: number;
  /** Size caps of the normalizer. */
  limits?: Pick<NormalizeOptions, 'maxArgsBytes' | 'maxErrorMessageChars' | 'maxFieldChars' | 'maxClockAheadMs' | 'maxClockBehindMs'>;
}

export const DEFAULT_PAIRING_WINDOW_MS = 1000;
export const DEFAULT_CHECKPOINT_RECORDS = 1000;
export const DEFAULT_CHECKPOINT_SECONDS = 60;
export const DEFAULT_MAX_STAGED = 100_000;
/** Rows sealed per transaction: keeps each event-loop block short under backlog. */
const SEAL_BATCH = 2000;

/**
 * Under load (the previous pass sealed at least SEAL_COALESCE_MIN records) a seal pass
 * starts at most sealCoalesceMs after the previous one began, so each transaction takes the
 * drafts of several staging commits (fewer commits, each index page written once) at the
 * price of this much extra delay before records reach the chain. Light traffic seals at once.
 */
export const DEFAULT_SEAL_COALESCE_MS = 25;
const SEAL_COALESCE_MIN = 256;
/** setTimeout's ceiling (a longer delay fires at once). */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Records handed to the onSealed listeners in one call at most (detection: one transaction each). */
const EMIT_BATCH = 8000;

/** Retry-After (seconds) answered while the store cannot take writes. */
const STORE_DOWN_RETRY_SECONDS = 2;

interface PendingWrite {
  rows: InboxDraft[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

export function createAuditPipeline(opts: AuditPipelineOptions): AuditPipeline {
  return new Pipeline(opts);
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new AuditError('MCPTRAIL_ERR_AUDIT_OPTIONS', `audit pipeline option '${name}' must be a positive number, got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * Drives the store's TrailWriter seam. Three asynchronous loops, each with at most one
 * transaction in flight: appending (group commit: every request that arrives while an
 * append is in flight shares the next one; acknowledged after COMMIT), sealing (paired
 * calls from memory → chain, one bounded transaction at a time) and emitting (listeners,
 * in chain order). Nothing is read back from the store except at start, when the inbox
 * entries a previous process acknowledged but did not seal are paired again.
 */
class Pipeline implements AuditPipeline {
  private readonly store: TrailStore;
  private readonly signer: CheckpointSigner;
  private readonly logger: TrailLogger;
  private readonly clock: () => number;
  private readonly normalizeOptions: NormalizeOptions;
  private readonly windowMs: number;
  private readonly checkpointRecords: number;
  private readonly checkpointMs: number;
  private readonly maxStaged: number;
  private readonly coalesceMs: number;
  private readonly listeners: Array<(records: AuditRecord[]) => void | Promise<void>> = [];
  private readonly book = new PairingBook();

  private pending: PendingWrite[] = [];
  private pendingRows = 0;
  private readonly ready: Promise<void>;
  private committing: Promise<void> | null = null;
  private commitScheduled = false;
  private sealing: Promise<void> | null = null;
  private sealAgain = false;
  private lastSealAt = -Infinity;
  private lastSealRecords = 0;
  private coalesceTimer: NodeJS.Timeout | null = null;
  private sealTimer: NodeJS.Timeout | null = null;
  private sealTimerAt = Infinity;
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly checkpointTimer: NodeJS.Timeout;
  private emitting: Promise<void> = Promise.resolve();
  private emitQueue: AuditRecord[][] = [];
  private emitScheduled = false;
  private closed = false;
  private counters = { sealed: 0, duplicates: 0, rejected: 0, checkpoints: 0 };

  constructor(opts: AuditPipelineOptions) {
    this.store = opts.store;
    this.signer = opts.signer;
    this.logger = opts.logger;
    this.clock = opts.clock ?? Date.now;
    this.windowMs = opts.pairingWindowMs === undefined ? DEFAULT_PAIRING_WINDOW_MS : Math.max(0, opts.pairingWindowMs);
    this.checkpointRecords = Math.floor(positive('checkpointEvery.records', opts.checkpointEvery?.records, DEFAULT_CHECKPOINT_RECORDS));
    this.checkpointMs = positive('checkpointEvery.seconds', opts.checkpointEvery?.seconds, DEFAULT_CHECKPOINT_SECONDS) * 1000;
    this.maxStaged = positive('maxStaged', opts.maxStaged, DEFAULT_MAX_STAGED);
    this.coalesceMs = opts.sealCoalesceMs === 0 ? 0 : positive('sealCoalesceMs', opts.sealCoalesceMs, DEFAULT_SEAL_COALESCE_MS);
    this.normalizeOptions = {
      redactor: opts.redactor,
      includeClientSpans: opts.includeClientSpans ?? false,
      identityMismatch: opts.identityMismatch ?? 'reject',
      ...opts.limits,
    };

    this.ready = this.recover().catch((err: unknown) => {
      // Acknowledged data we cannot read now stays in the inbox for the next start.
      this.logger.error('cannot read the audit inbox; drafts acknowledged before the restart wait for the next start', { error: (err as Error).message });
    });
    this.checkpointTimer = setInterval(() => void this.checkpointIfBehind().catch((err: unknown) => this.logFailure('checkpoint', err)), this.checkpointMs);
    this.checkpointTimer.unref();
  }

  /** Drafts acknowledged before a restart (inbox entries not yet consumed) are paired again. */
  private async recover(): Promise<void> {
    const entries = await this.store.readInbox();
    if (entries.length === 0) return;
    const now = this.clock();
    let drafts = 0;
    for (const e of entries) {
      let items: InboxDraft[];
      let done: Set<number>;
      try {
        items = decodeInbox(e.payload);
        done = decodeDone(e.done);
      } catch (err) {
        this.logger.error('audit inbox entry unreadable; left in place', { id: e.id, error: (err as Error).message });
        continue;
      }
      const entry: EntryState = { id: e.id, remaining: items.length - done.size, keylessDone: [...done] };
      items.forEach((item, index) => {
        if (done.has(index)) return;
        this.book.add({ ...item, entry, index }, item.sealNow ? now : now + this.windowMs);
        drafts++;
      });
    }
    this.logger.info('sealing audit drafts acknowledged before restart', { entries: entries.length, drafts });
    this.requestSeal();
  }

  onSealed(listener: (records: AuditRecord[]) => void | Promise<void>): void {
    this.listeners.push(listener);
  }

  stats(): AuditPipelineStats {
    return { staged: this.book.halves + this.pendingRows, ...this.counters };
  }

  traces(batch: DecodedTraces): Promise<IngestResult> {
    const received = this.clock();
    const o = this.optionsFor(batch.emitter);
    return this.ingest(batch.spans.map((s) => ['span', normalizeSpan(s, o, received)] as const), batch.rejected, batch.rejectReason);
  }

  logs(batch: DecodedLogs): Promise<IngestResult> {
    const received = this.clock();
    const o = this.optionsFor(batch.emitter);
    return this.ingest(batch.logs.map((l) => ['log', normalizeLog(l, o, received)] as const), batch.rejected, batch.rejectReason);
  }

  /** The sender's identity rides with its batch into the records (credential, address, bounds). */
  private optionsFor(emitter: DecodedTraces['emitter']): NormalizeOptions {
    return emitter ? { ...this.normalizeOptions, emitter } : this.normalizeOptions;
  }

  private async ingest(
    items: ReadonlyArray<readonly ['span' | 'log', Normalized]>,
    decoderRejected: number,
    decoderReason: string | null,
  ): Promise<IngestResult> {
    if (this.closed) throw new OverloadError(1, 503);
    let rejected = decoderRejected;
    let message = decoderReason;
    const rows: InboxDraft[] = [];
    for (const [kind, n] of items) {
      if (n.kind === 'rejected') {
        rejected++;
        message ??= n.reason;
      } else if (n.kind === 'draft') {
        rows.push({ kind, sealNow: n.sealNow, draft: n.draft });
      }
    }
    this.counters.rejected += rejected - decoderRejected;
    if (rows.length > 0) {
      if (this.book.halves + this.pendingRows + rows.length > this.maxStaged) {
        throw new OverloadError(Math.max(1, Math.ceil(this.windowMs / 1000)), 503);
      }
      await this.append(rows);
    }
    return { rejected, message: rejected > 0 ? message : null };
  }

  /** Group commit: requests that arrive while an append is in flight share the next one. */
  private append(rows: InboxDraft[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ rows, resolve, reject });
      this.pendingRows += rows.length;
      this.scheduleCommit();
    });
  }

  private scheduleCommit(): void {
    if (this.commitScheduled || this.committing) return;
    this.commitScheduled = true;
    setImmediate(() => {
      this.commitScheduled = false;
      void this.runCommit();
    });
  }

  /** The only way an append starts: at most one in flight, the next one picks up what queued meanwhile. */
  private runCommit(): Promise<void> {
    if (this.committing) return this.committing;
    this.committing = this.commitPending().finally(() => {
      this.committing = null;
      if (this.pending.length > 0) this.scheduleCommit();
    });
    return this.committing;
  }

  private async commitPending(): Promise<void> {
    await this.ready;
    const writes = this.pending;
    this.pending = [];
    const count = this.pendingRows;
    this.pendingRows = 0;
    if (writes.length === 0) return;
    const rows = writes.length === 1 ? writes[0]!.rows : writes.flatMap((w) => w.rows);
    let id: number;
    try {
      id = await this.store.appendInbox(encodeInbox(rows));
    } catch (err) {
      // Nothing of these requests was acknowledged: the exporters retry after Retry-After.
      this.logger.error('audit inbox append failed; asking exporters to retry', { error: (err as Error).message, drafts: count });
      const overload = new OverloadError(STORE_DOWN_RETRY_SECONDS, 503);
      for (const w of writes) w.reject(overload);
      return;
    }
    // Durable: pair in memory, acknowledge, seal.
    const now = this.clock();
    const entry: EntryState = { id, remaining: rows.length, keylessDone: [] };
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      this.book.add({ ...row, entry, index: i }, row.sealNow ? now : now + this.windowMs);
    }
    for (const w of writes) w.resolve();
    this.requestSeal();
  }

  /** Starts the seal loop (coalesced: see SEAL_COALESCE_MIN), or asks the running one for another pass. */
  private requestSeal(): void {
    if (this.closed) return;
    if (this.sealing) {
      this.sealAgain = true;
      return;
    }
    if (this.coalesceTimer) return;
    const wait = this.lastSealRecords >= SEAL_COALESCE_MIN ? this.lastSealAt + this.coalesceMs - performance.now() : 0;
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

  /** The only way a seal pass starts: one transaction chain at a time per pipeline. */
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
    const next = this.book.nextReadyAt();
    if (next === null || this.closed) return;
    if (this.sealTimer && next >= this.sealTimerAt) return;
    if (this.sealTimer) clearTimeout(this.sealTimer);
    this.sealTimerAt = next;
    this.sealTimer = setTimeout(() => {
      this.sealTimer = null;
      this.sealTimerAt = Infinity;
      this.requestSeal();
    }, Math.min(MAX_TIMER_MS, Math.max(0, next - this.clock()) + 1));
    this.sealTimer.unref();
  }

  /** Seals what is due (or everything when `all`), one bounded transaction at a time. */
  private async sealReady(all: boolean): Promise<void> {
    await this.ready;
    for (;;) {
      const records = await this.sealBatch(all);
      if (records === null) break;
      if (records.length > 0) this.emit(records);
    }
    if (!this.closed) this.armSealTimer();
  }

  /** One transaction: paired calls → chain → checkpoint, inbox entries consumed. null when nothing was due. */
  private async sealBatch(all: boolean): Promise<AuditRecord[] | null> {
    const calls = this.book.take(all ? Infinity : this.clock(), SEAL_BATCH);
    if (calls.length === 0) return null;
    const chainId = this.store.chainId;
    const progress = inboxProgressOf(calls);
    let out;
    try {
      out = await this.store.sealCalls(
        calls,
        (fresh: PendingCall[], start, last): SealPlan => {
          let head = start;
          const records: SealedRecord[] = [];
          for (const call of fresh) {
            const s = this.sealSafely(draftOf(call), chainId, head);
            head = { seq: s.record.seq, hash: s.record.hash };
            records.push(s);
          }
          const due = records.length > 0 && head.seq - (last?.seq ?? 0) >= this.checkpointRecords;
          return { records, checkpoint: due ? this.sign(head) : null };
        },
        { consumed: progress.consumed.map((e) => e.id), noted: progress.noted.map((n) => ({ id: n.entry.id, done: encodeDone(n.done) })) },
      );
    } catch (err) {
      // Still acknowledged and in the inbox: kept in memory for the next pass.
      this.book.putBack(calls);
      throw err;
    }
    progress.apply();
    this.book.release(calls);
    this.lastSealRecords += out.records.length;
    this.counters.duplicates += out.duplicates;
    this.counters.sealed += out.records.length;
    if (out.checkpointed) this.counters.checkpoints++;
    return out.records;
  }

  /**
   * A draft that cannot be serialised must not block the chain behind it (it was
   * acknowledged, so it must be sealed): its arguments give way to a marker.
   */
  private sealSafely(draft: AuditDraft, chainId: string, head: ChainHead): SealedRecord {
    try {
      return sealDraft(draft, chainId, head);
    } catch (err) {
      this.logger.error('audit draft not serialisable; sealing it without arguments', { error: (err as Error).message, span_id: draft.span_id });
      return sealDraft({ ...draft, args: { $unserializable: true } }, chainId, head);
    }
  }

  private sign(head: ChainHead): Checkpoint {
    return this.signer.sign({ chain_id: this.store.chainId, seq: head.seq, hash: head.hash, time: new Date(this.clock()).toISOString() });
  }

  /** Time-based checkpoint (and the final one at close): only when the chain moved since the last. */
  private async checkpointIfBehind(): Promise<void> {
    const signed = await this.store.checkpointHead((head, last) => (head.seq > 0 && head.seq > (last?.seq ?? 0) ? this.sign(head) : null));
    if (signed) this.counters.checkpoints++;
  }

  /**
   * Queues sealed records for the listeners; batches sealed while the listeners were busy
   * (or within one turn of the event loop) reach them as one call, in chain order.
   */
  private emit(records: AuditRecord[]): void {
    if (this.listeners.length === 0) return;
    this.emitQueue.push(records);
    if (this.emitScheduled) return;
    this.emitScheduled = true;
    this.emitting = this.emitting.then(() => new Promise<void>((resolve) => setImmediate(resolve))).then(() => this.drainEmitQueue());
  }

  private async drainEmitQueue(): Promise<void> {
    while (this.emitQueue.length > 0) {
      let records = this.emitQueue.shift()!;
      while (this.emitQueue.length > 0 && records.length + this.emitQueue[0]!.length <= EMIT_BATCH) records = records.concat(this.emitQueue.shift()!);
      for (const listener of this.listeners) {
        try {
          await listener(records);
        } catch (err) {
          this.logger.error('audit onSealed listener failed', { error: (err as Error).message, records: records.length });
        }
      }
    }
    this.emitScheduled = false;
  }

  private logFailure(what: string, err: unknown): void {
    this.logger.error(`audit ${what} failed; will retry`, { error: (err as Error).message });
  }

  async flush(): Promise<void> {
    await this.ready;
    while (this.committing || this.commitScheduled || this.pending.length > 0) {
      if (this.pending.length > 0 || this.committing) await this.runCommit();
      else await new Promise<void>((r) => setImmediate(r));
    }
    while (this.sealing) await this.sealing;
    await this.runSeal(true);
    await this.emitting;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Let in-flight seal passes finish before the loops stop.
    while (this.sealing) await this.sealing;
    this.closed = true;
    clearInterval(this.checkpointTimer);
    if (this.sealTimer) clearTimeout(this.sealTimer);
    if (this.coalesceTimer) clearTimeout(this.coalesceTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.flush();
    await this.checkpointIfBehind();
  }
}
