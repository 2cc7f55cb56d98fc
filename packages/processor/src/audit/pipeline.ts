import type { AuditDraft, AuditRecord } from '@mcptrail/conventions';
import type { CheckpointSigner } from '../chain/signing';
import type { DecodedLogs, DecodedTraces, IngestResult, IngestSink } from '../otlp/types';
import type { Checkpoint, TrailStore } from '../store/types';
import { OverloadError } from '../http/receiver';
import { AuditError } from './errors';
import { encodeInbox, type InboxDraft } from './inbox-codec';
import { normalizeLog, normalizeSpan, type Normalized } from './normalize';
import { LocalSealStage, type SealStage, type StageBatch } from './seal-stage';
import { SealerThread, type TrailSpec } from './sealer-thread';
import type { NormalizeOptions, TrailLogger, TrailRedactor } from './types';

/** Drafts normalized elsewhere (the ingest worker), ready for the inbox. */
export interface PreparedDrafts {
  rows: InboxDraft[];
  /** Items refused by the decoder and the normalizer together, and the first reason. */
  rejected: number;
  /** Of `rejected`, those the normalizer refused (counted in stats). */
  normalizerRejected: number;
  message: string | null;
}

export interface AuditPipeline extends IngestSink {
  /** Ingests drafts another thread normalized with normalizeSettings(); acknowledges like traces()/logs(). */
  ingestPrepared(prepared: PreparedDrafts): Promise<IngestResult>;
  /**
   * The 503 a request with `rows` drafts would get now (null: it would be taken), so a receiver
   * can refuse before decoding it: under overload, refused requests cost no decode, normalize or
   * redaction (the exporter sends them again after Retry-After). ingestPrepared checks again.
   */
  refusal(rows?: number): OverloadError | null;
  /** The normalizer's settings (everything but the redactor), for a worker to normalize the same way. */
  normalizeSettings(): Omit<NormalizeOptions, 'redactor' | 'emitter'>;
  /** Called after records are committed into the chain, in chain order, one call at a time. */
  onSealed(listener: (records: AuditRecord[]) => void | Promise<void>): void;
  /** Called with each checkpoint after it is committed (witness publication). */
  onCheckpoint(listener: (checkpoint: Checkpoint) => void): void;
  /** Called with drafts of calls still alone after `loneHalfMs`, before they are sealed (detection; see audit/sealer.ts). */
  onLoneHalves(listener: (drafts: AuditDraft[]) => void): void;
  /**
   * Sealed records ('sealed') and lone halves ('lone') as UTF-8 JSON arrays, in the order the
   * seal stage produced them, without decoding them on this thread (the detection thread
   * decodes them). One consumer.
   */
  onEncoded(consumer: EncodedConsumer): void;
  /** Signs a checkpoint now when the chain or its alert history moved since the last one. */
  checkpointNow(): Promise<void>;
  /** Seals everything staged (pairing window or not) and waits for the listeners. */
  flush(): Promise<void>;
  /** Stops accepting, flushes, signs a final checkpoint. Does not close the store. */
  close(): Promise<void>;
  /** Counters for health and diagnostics. */
  stats(): AuditPipelineStats;
}

/** Where onEncoded hands the seal stage's bytes. */
export interface EncodedConsumer {
  /** The bytes are the consumer's own: it may transfer them. */
  take(kind: 'sealed' | 'lone', json: Uint8Array, count: number): void;
  /** Resolves once it has dealt with everything handed over (awaited by flush()). */
  drained?(): Promise<void>;
  /**
   * True while it holds more than it may: requests are refused (503 + Retry-After) until it
   * has caught up, so a consumer slower than the seal stage bounds memory instead of queueing.
   */
  saturated?(): boolean;
}

export interface AuditPipelineStats {
  staged: number;
  sealed: number;
  duplicates: number;
  /** Client-side calls consumed because the server-side record of the same call arrived. */
  superseded: number;
  rejected: number;
  checkpoints: number;
}

export interface AuditPipelineOptions {
  /** SQLite or PostgreSQL: anything that implements the TrailWriter seam. */
  store: TrailStore;
  redactor: TrailRedactor;
  signer: CheckpointSigner;
  /** Origin line of the checkpoint notes. Default `mcptrail/<chain_id>`. */
  origin?: string;
  /** Sign a checkpoint after this many records or seconds, whichever comes first. Default 1000 / 60. */
  checkpointEvery?: { records: number; seconds: number };
  /** How long a span waits for its audit log record (and vice versa) before sealing alone. Default 1000. */
  pairingWindowMs?: number;
  /** A half still alone this long goes to the onLoneHalves listeners before it is sealed. Default 0 (off). */
  loneHalfMs?: number;
  logger: TrailLogger;
  clock?: () => number;
  /** See NormalizeOptions.includeClientSpans. Default false. */
  includeClientSpans?: boolean;
  /** See NormalizeOptions.clientFallback. Default true (ignored when includeClientSpans is on). */
  clientFallback?: boolean;
  /**
   * How long a client-side call waits for the server-side record that supersedes it before it is sealed
   * as the record (the two come from different processes, each with its own export delay). Default 30000.
   */
  clientFallbackWindowMs?: number;
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
  /**
   * Seal on a worker thread with its own connection to the trail (`trail`) and the signing
   * key at `signingKeyPath` (the same key `signer` holds). Default: on the receiving thread.
   */
  sealerThread?: { trail: TrailSpec; signingKeyPath: string; signerCommand?: { argv: string[]; publicKeyFile: string }; workerPath?: string };
  /** Size caps of the normalizer. */
  limits?: Pick<NormalizeOptions, 'maxArgsBytes' | 'maxErrorMessageChars' | 'maxFieldChars' | 'maxClockAheadMs' | 'maxClockBehindMs'>;
}

export const DEFAULT_PAIRING_WINDOW_MS = 1000;
export const DEFAULT_CLIENT_FALLBACK_WINDOW_MS = 30_000;
export const DEFAULT_CHECKPOINT_RECORDS = 1000;
export const DEFAULT_CHECKPOINT_SECONDS = 60;
export const DEFAULT_MAX_STAGED = 100_000;
/** Retry-After while the encoded consumer is behind (it folds several MiB a second). */
const CONSUMER_BEHIND_RETRY_SECONDS = 1;

/**
 * Under load (the previous pass sealed at least 256 records) a seal pass starts at most
 * sealCoalesceMs after the previous one began, so each transaction takes the drafts of
 * several appends (fewer commits, each index page written once) at the price of this much
 * extra delay before records reach the chain. Light traffic seals at once.
 */
export const DEFAULT_SEAL_COALESCE_MS = 25;
/**
 * Records handed to the onSealed listeners (or drafts to the onLoneHalves ones) in one call at most; the event loop gets a turn
 * between calls, so /healthz, acknowledgements and alert deliveries wait for at most one
 * (bench/latency.bench.mjs). Small: detection on this thread costs ~250 µs per record
 * (a 250-record call was a 62 ms turn in a --cpu-prof of serve), and it commits its state on
 * its own schedule (every 500 ms or 5,000 records, at once with an alert), not once per call,
 * so an alert raised by the first records of a large seal batch reaches the sinks without
 * waiting for the rest.
 */
export const EMIT_BATCH = 100;
/**
 * Drafts per inbox entry at most: bounds one append's synchronous encode, write and fsync
 * (500 drafts of ~1 KB: ~8 ms wall, ~2 ms CPU on the 2-core box; 1,000: ~11 ms, ~3 ms; the
 * fsync is the fixed part). Exported for tests.
 */
export const INBOX_SLICE = 500;

/** Retry-After (seconds) answered while the store cannot take writes. */
const STORE_DOWN_RETRY_SECONDS = 2;

/** What the emit queue carries to the listeners, in arrival order. */
type Emission = { lone: false; items: AuditRecord[] } | { lone: true; items: AuditDraft[] };

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
 * The receive side of the trail: normalizes, appends to the durable inbox in group commits
 * (every request that arrives while an append is in flight shares the next one; each is
 * acknowledged after that COMMIT) and hands each committed entry to the seal stage (this
 * thread or a worker). Sealed records come back in chain order and reach the listeners one
 * batch at a time. Nothing is read back from the store except at start, when the inbox
 * entries a previous process acknowledged but did not seal are paired again.
 */
class Pipeline implements AuditPipeline {
  private readonly store: TrailStore;
  private readonly checkpointListeners: Array<(checkpoint: Checkpoint) => void> = [];
  private readonly loneHalfListeners: Array<(drafts: AuditDraft[]) => void> = [];
  private readonly logger: TrailLogger;
  private readonly clock: () => number;
  private readonly normalizeOptions: NormalizeOptions;
  private readonly windowMs: number;
  private readonly maxStaged: number;
  private readonly listeners: Array<(records: AuditRecord[]) => void | Promise<void>> = [];
  private encoded: EncodedConsumer | null = null;
  private stage: SealStage;

  private pending: PendingWrite[] = [];
  private pendingRows = 0;
  /** Acknowledged halves the seal stage holds (not yet sealed or dropped). */
  private held = 0;
  private readonly ready: Promise<void>;
  private startFailed: Error | null = null;
  private committing: Promise<void> | null = null;
  private commitScheduled = false;
  private emitting: Promise<void> = Promise.resolve();
  private emitQueue: Emission[] = [];
  private emitScheduled = false;
  private closed = false;
  private rejected = 0;

  constructor(opts: AuditPipelineOptions) {
    this.store = opts.store;
    this.logger = opts.logger;
    this.clock = opts.clock ?? Date.now;
    this.windowMs = opts.pairingWindowMs === undefined ? DEFAULT_PAIRING_WINDOW_MS : Math.max(0, opts.pairingWindowMs);
    const checkpointRecords = Math.floor(positive('checkpointEvery.records', opts.checkpointEvery?.records, DEFAULT_CHECKPOINT_RECORDS));
    const checkpointMs = positive('checkpointEvery.seconds', opts.checkpointEvery?.seconds, DEFAULT_CHECKPOINT_SECONDS) * 1000;
    this.maxStaged = positive('maxStaged', opts.maxStaged, DEFAULT_MAX_STAGED);
    const coalesceMs = opts.sealCoalesceMs === 0 ? 0 : positive('sealCoalesceMs', opts.sealCoalesceMs, DEFAULT_SEAL_COALESCE_MS);
    const includeClientSpans = opts.includeClientSpans ?? false;
    const clientFallback = !includeClientSpans && (opts.clientFallback ?? true);
    this.normalizeOptions = {
      redactor: opts.redactor,
      includeClientSpans,
      clientFallback,
      identityMismatch: opts.identityMismatch ?? 'reject',
      ...opts.limits,
    };
    const clientWindowMs = !clientFallback
      ? 0
      : Math.max(1, opts.clientFallbackWindowMs === undefined ? DEFAULT_CLIENT_FALLBACK_WINDOW_MS : opts.clientFallbackWindowMs);
    const loneHalfMs = Math.max(0, opts.loneHalfMs ?? 0);
    const timing = { windowMs: this.windowMs, clientWindowMs, checkpointRecords, checkpointMs, coalesceMs, loneHalfMs, ...(opts.origin ? { origin: opts.origin } : {}) };
    const local = () => new LocalSealStage({ store: opts.store, signer: opts.signer, logger: opts.logger, clock: this.clock, ...timing });
    // Threads are allowed: the inbox's durable appends leave this thread too (SQLite).
    if (opts.sealerThread) opts.store.writeInboxOffThread?.();
    this.stage = opts.sealerThread ? new SealerThread({ ...opts.sealerThread, ...timing, logger: opts.logger }) : local();
    const onSealed = (records: StageBatch<AuditRecord>, released: number) => {
      this.held -= released;
      this.handOver('sealed', records);
    };
    const onCheckpoint = (cp: Checkpoint) => {
      for (const listener of this.checkpointListeners) {
        try {
          listener(cp);
        } catch (err) {
          this.logger.error('checkpoint listener failed', { error: (err as Error).message });
        }
      }
    };
    // Through the emit queue: in order with the sealed records, in calls of EMIT_BATCH.
    const onLoneHalves = (drafts: StageBatch<AuditDraft>) => this.handOver('lone', drafts);
    const lone = loneHalfMs > 0 ? onLoneHalves : undefined;
    this.ready = Promise.resolve()
      .then(() => this.stage.start(onSealed, onCheckpoint, lone))
      .catch(async (err: unknown) => {
        if (!(this.stage instanceof SealerThread)) throw err;
        // No sealer thread (it could not start): seal on this thread rather than refuse data.
        this.logger.warn('sealer thread did not start; sealing on the receiving thread', { error: (err as Error).message });
        await this.stage.close().catch(() => undefined);
        this.stage = local();
        return this.stage.start(onSealed, onCheckpoint, lone);
      })
      .then(
        (recovered) => {
          this.held += recovered;
        },
        (err: unknown) => {
          // Acknowledged data we cannot read now stays in the inbox for the next start.
          this.startFailed = err as Error;
          this.logger.error('audit seal stage did not start; refusing data (the inbox keeps what was acknowledged)', { error: (err as Error).message });
        },
      );
  }

  onSealed(listener: (records: AuditRecord[]) => void | Promise<void>): void {
    this.listeners.push(listener);
  }

  onCheckpoint(listener: (checkpoint: Checkpoint) => void): void {
    this.checkpointListeners.push(listener);
  }

  onLoneHalves(listener: (drafts: AuditDraft[]) => void): void {
    this.loneHalfListeners.push(listener);
  }

  onEncoded(consumer: EncodedConsumer): void {
    if (this.encoded) throw new AuditError('MCPTRAIL_ERR_AUDIT_OPTIONS', 'audit pipeline: onEncoded takes one consumer');
    this.encoded = consumer;
  }

  /**
   * A batch from the seal stage: decoded only when object listeners want it (before the
   * encoded listener may transfer its bytes away), then to the encoded listener at once.
   */
  private handOver(kind: 'sealed' | 'lone', batch: StageBatch<AuditRecord> | StageBatch<AuditDraft>): void {
    const objects = (kind === 'lone' ? this.loneHalfListeners : this.listeners).length > 0 ? batch.get() : null;
    if (this.encoded && batch.count > 0) {
      try {
        this.encoded.take(kind, batch.encodedBytes(), batch.count);
      } catch (err) {
        this.logger.error('audit encoded consumer failed', { error: (err as Error).message, items: batch.count });
      }
    }
    if (objects) this.enqueue(kind === 'lone' ? { lone: true, items: objects as AuditDraft[] } : { lone: false, items: objects as AuditRecord[] });
  }

  async checkpointNow(): Promise<void> {
    await this.ready;
    if (this.startFailed) throw this.startFailed;
    await this.stage.checkpoint();
  }

  stats(): AuditPipelineStats {
    return { staged: this.held + this.pendingRows, rejected: this.rejected, ...this.stage.counters() };
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

  /** The seal stage cannot take entries (did not start, or its thread died). */
  private broken(): boolean {
    return this.startFailed !== null || (this.stage instanceof SealerThread && this.stage.failure() !== null);
  }

  private ingest(
    items: ReadonlyArray<readonly ['span' | 'log', Normalized]>,
    decoderRejected: number,
    decoderReason: string | null,
  ): Promise<IngestResult> {
    return this.ingestPrepared(inboxRowsOf(items, decoderRejected, decoderReason));
  }

  normalizeSettings(): Omit<NormalizeOptions, 'redactor' | 'emitter'> {
    const { redactor: _r, emitter: _e, ...settings } = this.normalizeOptions;
    return settings;
  }

  async ingestPrepared(prepared: PreparedDrafts): Promise<IngestResult> {
    const { rows, rejected, message } = prepared;
    const refused = this.refusal(rows.length);
    if (refused) throw refused;
    this.rejected += prepared.normalizerRejected;
    if (rows.length > 0) await this.append(rows);
    return { rejected, message: rejected > 0 ? message : null };
  }

  refusal(rows = 1): OverloadError | null {
    if (this.closed || this.broken()) return new OverloadError(this.closed ? 1 : STORE_DOWN_RETRY_SECONDS, 503);
    if (rows === 0) return null;
    // Backpressure from the seal stage: what it holds counts against the bound.
    if (this.held + this.pendingRows + rows > this.maxStaged) return new OverloadError(Math.max(1, Math.ceil(this.windowMs / 1000)), 503);
    // And from whoever takes the sealed bytes (detection): acknowledged work it has not caught up with.
    if (this.encoded?.saturated?.()) return new OverloadError(CONSUMER_BEHIND_RETRY_SECONDS, 503);
    return null;
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
    // Nothing is appended before the seal stage re-read the inbox (it must not see an entry twice).
    await this.ready;
    // Queued beside a large request, small ones go first as their own entry: they must not wait
    // for all of its slices (test/audit/interleaved-append.test.ts).
    if (this.pendingRows > INBOX_SLICE) await this.commitSmallPending();
    const writes = this.pending;
    this.pending = [];
    const count = this.pendingRows;
    this.pendingRows = 0;
    if (writes.length === 0) return;
    if (this.broken()) {
      const down = new OverloadError(STORE_DOWN_RETRY_SECONDS, 503);
      for (const w of writes) w.reject(down);
      return;
    }
    await this.commitWrites(writes, count);
  }

  /**
   * One group commit. A large one goes in as several inbox entries, one synchronous append
   * (and fsync) each, with a turn of the event loop between them. No request of it is
   * acknowledged before the last: the earlier slices are stored open (not yet part of the
   * trail) and reach the seal stage only after the last slice closed them in its transaction.
   * A failure or crash in between leaves nothing sealable, so the exporters' retry cannot
   * seal a keyless draft twice (test/audit/split-append.test.ts). Small requests that queued
   * meanwhile are committed between its slices as their own entry, so they wait for one
   * slice, not for the whole group (test/audit/interleaved-append.test.ts).
   */
  private async commitWrites(writes: PendingWrite[], count: number): Promise<void> {
    const rows = writes.length === 1 ? writes[0]!.rows : writes.flatMap((w) => w.rows);
    const slices = Math.ceil(rows.length / INBOX_SLICE);
    const appended: Array<{ id: number; payload: string; slice: InboxDraft[] }> = [];
    for (let k = 0; k < slices; k++) {
      const slice = slices === 1 ? rows : rows.slice(k * INBOX_SLICE, (k + 1) * INBOX_SLICE);
      const payload = encodeInbox(slice);
      // The inbox text is made: keep only the drafts in memory.
      for (const row of slice) row.encoded = undefined;
      const group = slices === 1 ? undefined : k < slices - 1 ? ({ open: true } as const) : { closes: appended.map((a) => a.id) };
      try {
        appended.push({ id: await this.store.appendInbox(payload, group), payload, slice });
      } catch (err) {
        // Nothing of these requests was acknowledged: the exporters retry after Retry-After.
        this.logger.error('audit inbox append failed; asking exporters to retry', { error: (err as Error).message, drafts: count });
        // Best effort: entries left open are dropped at the next start anyway.
        if (appended.length > 0) await this.store.discardInbox(appended.map((a) => a.id)).catch(() => undefined);
        const overload = new OverloadError(STORE_DOWN_RETRY_SECONDS, 503);
        for (const w of writes) w.reject(overload);
        return;
      }
      if (k < slices - 1) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        await this.commitSmallPending();
      }
    }
    // Durable: hand over to the seal stage, then acknowledge.
    for (const a of appended) {
      this.held += a.slice.length;
      this.stage.add(a.id, a.payload, a.slice);
    }
    for (const w of writes) w.resolve();
  }

  /**
   * Before a split commit and between two of its slices: the queued requests that fit in one
   * slice together become one (unsplit) inbox entry. Larger ones stay queued for the next group
   * commit, so at most one split commit is in flight and its slices are never interleaved with
   * another's.
   */
  private async commitSmallPending(): Promise<void> {
    if (this.pending.length === 0) return;
    const small: PendingWrite[] = [];
    const rest: PendingWrite[] = [];
    let n = 0;
    for (const w of this.pending) {
      if (n + w.rows.length <= INBOX_SLICE) {
        small.push(w);
        n += w.rows.length;
      } else rest.push(w);
    }
    if (small.length === 0) return;
    this.pending = rest;
    this.pendingRows -= n;
    if (this.broken()) {
      const down = new OverloadError(STORE_DOWN_RETRY_SECONDS, 503);
      for (const w of small) w.reject(down);
      return;
    }
    await this.commitWrites(small, n);
  }

  /**
   * Sealed records and lone halves reach their listeners in the order they came, in calls of
   * at most EMIT_BATCH items with a turn of the event loop between calls (an 8 MiB request of
   * spans alone is ~9,000 lone halves: one call held the event loop for 1.6 s).
   */
  private enqueue(e: Emission): void {
    if ((e.lone ? this.loneHalfListeners : this.listeners).length === 0 || e.items.length === 0) return;
    this.emitQueue.push(e);
    if (this.emitScheduled) return;
    this.emitScheduled = true;
    this.emitting = this.emitting.then(() => new Promise<void>((resolve) => setImmediate(resolve))).then(() => this.drainEmitQueue());
  }

  private async drainEmitQueue(): Promise<void> {
    while (this.emitQueue.length > 0) {
      const first = this.emitQueue.shift()!;
      let items = first.items;
      // A seal transaction may hold more than one call's worth (SEAL_BATCH > EMIT_BATCH).
      if (items.length > EMIT_BATCH) {
        this.emitQueue.unshift({ ...first, items: items.slice(EMIT_BATCH) } as Emission);
        items = items.slice(0, EMIT_BATCH);
      }
      while (this.emitQueue.length > 0 && this.emitQueue[0]!.lone === first.lone && items.length + this.emitQueue[0]!.items.length <= EMIT_BATCH) {
        items = (items as unknown[]).concat(this.emitQueue.shift()!.items) as typeof items;
      }
      if (first.lone) {
        for (const listener of this.loneHalfListeners) {
          try {
            listener(items as AuditDraft[]);
          } catch (err) {
            this.logger.error('lone-half listener failed', { error: (err as Error).message });
          }
        }
      } else {
        for (const listener of this.listeners) {
          try {
            await listener(items as AuditRecord[]);
          } catch (err) {
            this.logger.error('audit onSealed listener failed', { error: (err as Error).message, records: items.length });
          }
        }
      }
      if (this.emitQueue.length > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    this.emitScheduled = false;
  }

  private async drainAppends(): Promise<void> {
    await this.ready;
    while (this.committing || this.commitScheduled || this.pending.length > 0) {
      if (this.pending.length > 0 || this.committing) await this.runCommit();
      else await new Promise<void>((r) => setImmediate(r));
    }
  }

  async flush(): Promise<void> {
    await this.drainAppends();
    if (this.startFailed) throw this.startFailed;
    await this.stage.flush();
    await this.emitting;
    await this.encoded?.drained?.();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.drainAppends();
    if (!this.startFailed) await this.stage.close();
    await this.emitting;
  }
}

/** Normalized items → inbox rows and the rejection count (shared with the ingest worker). */
export function inboxRowsOf(
  items: ReadonlyArray<readonly ['span' | 'log', Normalized]>,
  decoderRejected: number,
  decoderReason: string | null,
): PreparedDrafts {
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
  return { rows, rejected, normalizerRejected: rejected - decoderRejected, message };
}
