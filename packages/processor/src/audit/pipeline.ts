import type { AuditDraft, AuditRecord } from '@mcptrail/conventions';
import { sealDraft, type SealedRecord } from '../chain/hash';
import type { CheckpointSigner } from '../chain/signing';
import type { DecodedLogs, DecodedTraces, IngestResult, IngestSink } from '../otlp/types';
import type { SqliteAuditStore } from '../store/sqlite';
import { OverloadError } from '../http/receiver';
import { AuditError } from './errors';
import { mergeSpanAndLog } from './merge';
import { normalizeLog, normalizeSpan, type Normalized } from './normalize';
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
  store: SqliteAuditStore;
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
  /** Bound on staged + pending drafts; past it ingestion throws OverloadError (503). Default 100000. */
  maxStaged?: number;
  /** Size caps of the normalizer. */
  limits?: Pick<NormalizeOptions, 'maxArgsBytes' | 'maxErrorMessageChars' | 'maxFieldChars'>;
}

export const DEFAULT_PAIRING_WINDOW_MS = 1000;
export const DEFAULT_CHECKPOINT_RECORDS = 1000;
export const DEFAULT_CHECKPOINT_SECONDS = 60;
export const DEFAULT_MAX_STAGED = 100_000;
/** Rows sealed per transaction: keeps each event-loop block short under backlog. */
const SEAL_BATCH = 2000;

interface StagedDraft {
  draft: AuditDraft;
  kind: 'span' | 'log';
  readyAt: number;
}

interface PendingWrite {
  rows: StagedDraft[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

interface StagingRow {
  id: number;
  trace_id: string | null;
  span_id: string | null;
  kind: 'span' | 'log';
  draft: string;
  ready_at: number;
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

class Pipeline implements AuditPipeline {
  private readonly store: SqliteAuditStore;
  private readonly signer: CheckpointSigner;
  private readonly logger: TrailLogger;
  private readonly clock: () => number;
  private readonly normalizeOptions: NormalizeOptions;
  private readonly windowMs: number;
  private readonly checkpointRecords: number;
  private readonly checkpointMs: number;
  private readonly maxStaged: number;
  private readonly listeners: Array<(records: AuditRecord[]) => void | Promise<void>> = [];
  private readonly stmts;

  private pending: PendingWrite[] = [];
  private pendingRows = 0;
  private staged: number;
  private commitScheduled = false;
  private sealScheduled = false;
  private sealTimer: NodeJS.Timeout | null = null;
  private sealTimerAt = Infinity;
  private readonly checkpointTimer: NodeJS.Timeout;
  private emitting: Promise<void> = Promise.resolve();
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
    this.normalizeOptions = { redactor: opts.redactor, includeClientSpans: opts.includeClientSpans ?? false, ...opts.limits };

    const db = this.store.db;
    this.stmts = {
      stage: db.prepare(
        `INSERT OR IGNORE INTO audit_staging (trace_id, span_id, kind, draft, ready_at) VALUES (?, ?, ?, ?, ?)`,
      ),
      count: db.prepare(`SELECT count(*) FROM audit_staging`).pluck(),
      // A completed pair is made due at once when its second half is staged (see commitPending).
      ready: db.prepare(`SELECT * FROM audit_staging WHERE ready_at <= @now ORDER BY ready_at, id LIMIT @limit`),
      duePartner: db.prepare(`UPDATE audit_staging SET ready_at = ? WHERE trace_id = ? AND span_id = ? AND kind <> ?`),
      dueRow: db.prepare(`UPDATE audit_staging SET ready_at = ? WHERE id = ?`),
      byKey: db.prepare(`SELECT * FROM audit_staging WHERE trace_id = ? AND span_id = ?`),
      remove: db.prepare(`DELETE FROM audit_staging WHERE id = ?`),
      nextReady: db.prepare(`SELECT min(ready_at) FROM audit_staging`).pluck(),
    };
    this.staged = this.stmts.count.get() as number;
    // Drafts acknowledged before a restart are sealed as soon as they are due.
    if (this.staged > 0) {
      this.logger.info('sealing audit drafts staged before restart', { staged: this.staged });
      this.scheduleSeal();
    }
    this.checkpointTimer = setInterval(() => this.safely('checkpoint', () => this.checkpointIfBehind()), this.checkpointMs);
    this.checkpointTimer.unref();
  }

  onSealed(listener: (records: AuditRecord[]) => void | Promise<void>): void {
    this.listeners.push(listener);
  }

  stats(): AuditPipelineStats {
    return { staged: this.staged + this.pendingRows, ...this.counters };
  }

  traces(batch: DecodedTraces): Promise<IngestResult> {
    return this.ingest(batch.spans.map((s) => ['span', normalizeSpan(s, this.normalizeOptions)] as const), batch.rejected, batch.rejectReason);
  }

  logs(batch: DecodedLogs): Promise<IngestResult> {
    return this.ingest(batch.logs.map((l) => ['log', normalizeLog(l, this.normalizeOptions)] as const), batch.rejected, batch.rejectReason);
  }

  private async ingest(
    items: ReadonlyArray<readonly ['span' | 'log', Normalized]>,
    decoderRejected: number,
    decoderReason: string | null,
  ): Promise<IngestResult> {
    if (this.closed) throw new OverloadError(1, 503);
    let rejected = decoderRejected;
    let message = decoderReason;
    const rows: StagedDraft[] = [];
    const now = this.clock();
    for (const [kind, n] of items) {
      if (n.kind === 'rejected') {
        rejected++;
        message ??= n.reason;
      } else if (n.kind === 'draft') {
        rows.push({ draft: n.draft, kind, readyAt: n.sealNow ? now : now + this.windowMs });
      }
    }
    this.counters.rejected += rejected - decoderRejected;
    if (rows.length > 0) {
      if (this.staged + this.pendingRows + rows.length > this.maxStaged) {
        throw new OverloadError(Math.max(1, Math.ceil(this.windowMs / 1000)), 503);
      }
      await this.stage(rows);
    }
    return { rejected, message: rejected > 0 ? message : null };
  }

  /** Group commit: every request that arrives before the next turn of the event loop shares one transaction. */
  private stage(rows: StagedDraft[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ rows, resolve, reject });
      this.pendingRows += rows.length;
      if (!this.commitScheduled) {
        this.commitScheduled = true;
        setImmediate(() => this.commitPending());
      }
    });
  }

  private commitPending(): void {
    this.commitScheduled = false;
    if (this.closed && this.pending.length === 0) return;
    const writes = this.pending;
    this.pending = [];
    const count = this.pendingRows;
    this.pendingRows = 0;
    if (writes.length === 0) return;
    let inserted = 0;
    const now = this.clock();
    try {
      this.store.db.transaction(() => {
        for (const w of writes) {
          for (const r of w.rows) {
            const { trace_id: traceId, span_id: spanId } = r.draft;
            const res = this.stmts.stage.run(traceId, spanId, r.kind, JSON.stringify(r.draft), r.readyAt);
            inserted += res.changes;
            // Second half of a call: both halves are due now, no need to wait for the window.
            if (res.changes > 0 && traceId !== null && spanId !== null && this.stmts.duePartner.run(now, traceId, spanId, r.kind).changes > 0) {
              this.stmts.dueRow.run(now, res.lastInsertRowid);
            }
          }
        }
      }).immediate();
    } catch (err) {
      this.logger.error('audit staging write failed; the exporter will retry', { error: (err as Error).message, drafts: count });
      for (const w of writes) w.reject(err);
      return;
    }
    this.staged += inserted;
    for (const w of writes) w.resolve();
    this.scheduleSeal();
  }

  private scheduleSeal(): void {
    if (this.sealScheduled) return;
    this.sealScheduled = true;
    setImmediate(() => {
      this.sealScheduled = false;
      // close() seals everything itself; the store may already be closed after it.
      if (!this.closed) this.safely('seal', () => this.sealReady(false));
    });
  }

  private armSealTimer(): void {
    const next = this.stmts.nextReady.get() as number | null;
    if (next === null) return;
    if (this.sealTimer && next >= this.sealTimerAt) return;
    if (this.sealTimer) clearTimeout(this.sealTimer);
    this.sealTimerAt = next;
    this.sealTimer = setTimeout(() => {
      this.sealTimer = null;
      this.sealTimerAt = Infinity;
      this.safely('seal', () => this.sealReady(false));
    }, Math.max(0, next - this.clock()) + 1);
    this.sealTimer.unref();
  }

  /** Seals what is due (or everything when `all`), one bounded transaction at a time. */
  private sealReady(all: boolean): void {
    for (;;) {
      const records = this.sealBatch(all);
      if (records === null) break;
      if (records.length > 0) this.emit(records);
    }
    if (!this.closed) this.armSealTimer();
  }

  /** One transaction: staged rows → merged drafts → chain → checkpoint. null when nothing was due. */
  private sealBatch(all: boolean): AuditRecord[] | null {
    const now = all ? Number.MAX_SAFE_INTEGER : this.clock();
    const chainId = this.store.chainId;
    let removed = 0;
    const out = this.store.db.transaction((): AuditRecord[] | null => {
      const rows = this.stmts.ready.all({ now, limit: SEAL_BATCH }) as StagingRow[];
      if (rows.length === 0) return null;
      // Group the span and the log record of one call; keep arrival order.
      const groups = new Map<string, StagingRow[]>();
      for (const row of rows) {
        const key = row.trace_id !== null && row.span_id !== null ? `${row.trace_id}/${row.span_id}` : `#${row.id}`;
        if (groups.has(key)) continue;
        groups.set(key, key.startsWith('#') ? [row] : (this.stmts.byKey.all(row.trace_id, row.span_id) as StagingRow[]));
      }
      let head = this.store.head(chainId);
      const sealed: SealedRecord[] = [];
      for (const group of groups.values()) {
        const draft = mergeGroup(group);
        for (const row of group) removed += this.stmts.remove.run(row.id).changes;
        if (draft.trace_id !== null && draft.span_id !== null && this.store.hasCall(draft.trace_id, draft.span_id)) {
          this.counters.duplicates++;
          continue;
        }
        const s = this.sealSafely(draft, chainId, head);
        this.store.insertSealed([s]);
        head = { seq: s.record.seq, hash: s.record.hash };
        sealed.push(s);
      }
      const last = this.store.lastCheckpoint(chainId);
      if (sealed.length > 0 && head.seq - (last?.seq ?? 0) >= this.checkpointRecords) this.signCheckpoint(head.seq, head.hash);
      return sealed.map((s) => s.record);
    }).immediate();
    this.staged -= removed;
    if (out) this.counters.sealed += out.length;
    return out;
  }

  /**
   * A draft that cannot be serialised must not block the chain behind it (it was
   * acknowledged, so it must be sealed): its arguments give way to a marker.
   */
  private sealSafely(draft: AuditDraft, chainId: string, head: { seq: number; hash: string }): SealedRecord {
    try {
      return sealDraft(draft, chainId, head);
    } catch (err) {
      this.logger.error('audit draft not serialisable; sealing it without arguments', { error: (err as Error).message, span_id: draft.span_id });
      return sealDraft({ ...draft, args: { $unserializable: true } }, chainId, head);
    }
  }

  private signCheckpoint(seq: number, hash: string): void {
    const cp = this.signer.sign({ chain_id: this.store.chainId, seq, hash, time: new Date(this.clock()).toISOString() });
    this.store.insertCheckpoint(cp);
    this.counters.checkpoints++;
  }

  /** Time-based checkpoint (and the final one at close): only when the chain moved since the last. */
  private checkpointIfBehind(): void {
    this.store.db.transaction(() => {
      const head = this.store.head();
      const last = this.store.lastCheckpoint();
      if (head.seq > 0 && head.seq > (last?.seq ?? 0)) this.signCheckpoint(head.seq, head.hash);
    }).immediate();
  }

  private emit(records: AuditRecord[]): void {
    if (this.listeners.length === 0) return;
    this.emitting = this.emitting.then(async () => {
      for (const listener of this.listeners) {
        try {
          await listener(records);
        } catch (err) {
          this.logger.error('audit onSealed listener failed', { error: (err as Error).message, records: records.length });
        }
      }
    });
  }

  private safely(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.logger.error(`audit ${what} failed; will retry`, { error: (err as Error).message });
      if (!this.closed) {
        const t = setTimeout(() => !this.closed && this.safely(what, fn), 1000);
        t.unref();
      }
    }
  }

  async flush(): Promise<void> {
    if (this.pending.length > 0) this.commitPending();
    this.sealReady(true);
    await this.emitting;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.checkpointTimer);
    if (this.sealTimer) clearTimeout(this.sealTimer);
    await this.flush();
    this.checkpointIfBehind();
  }
}

function mergeGroup(group: StagingRow[]): AuditDraft {
  const span = group.find((r) => r.kind === 'span');
  const log = group.find((r) => r.kind === 'log');
  if (span && log) return mergeSpanAndLog(JSON.parse(span.draft) as AuditDraft, JSON.parse(log.draft) as AuditDraft);
  return JSON.parse((span ?? log ?? group[0]!).draft) as AuditDraft;
}
