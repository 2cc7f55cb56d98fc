import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { AuditRecord } from '@mcptrail/conventions';
import { sealAlertEvent } from '../chain/alert-events';
import { GENESIS_HASH, recordFromRow, type SealedRecord } from '../chain/hash';
import { checkpointFromRow, checkpointToRow, restrictFileModes } from './checkpoint-rows';
import { StoreError } from './errors';
import { type CountQuery, type CountRow, countQuerySql, countRowsOf } from './aggregate';
import { pageChain, recordsOf } from './paging';
import { buildQueryFilter, CHAIN_ID_PATTERN } from './query-filter';
import { isUpgradeOnly, SQLITE_SCHEMA_V1, SQLITE_SCHEMA_VERSION } from './sqlite-schema';
import { legacyStagingToInbox } from './legacy-staging';
import { InboxThread } from './inbox-thread';
import { attachWriteGate, createWriteGate, gated, isGated } from './write-gate';
import { INBOX_OPEN, PACKED_GAP } from './types';
import { createSqliteRollup, forgetRolledSqlite } from './rollup-sqlite';
import type { TrailRollup } from './rollup-types';
import type {
  AlertEvent,
  AlertEventInput,
  AuditQuery,
  CallKey,
  ChainHead,
  Checkpoint,
  CheckpointSigning,
  CheckpointState,
  InboxEntry,
  InboxGroupStep,
  InboxProgress,
  PackedRows,
  RawRow,
  SealOutcome,
  SealPlan,
  StoredRow,
  TrailStore,
} from './types';

export { DEFAULT_QUERY_LIMIT, MAX_QUERY_LIMIT } from './query-filter';
/** SQLite page cache of the trail's connection, KiB. */
const CACHE_KIB = 65536;
/** Pages in the WAL before a commit copies them into the database file (SQLite default 1000). */
const WAL_CHECKPOINT_PAGES = 10000;
/** Asked of mmap_size; SQLite caps it at its compile-time limit (2 GiB in better-sqlite3). */
const MAP_BYTES = 2 ** 40;
/** The gap before the first body in packedRange's result (verify writes the previous hash there). */
const PACKED_FILLER = ' '.repeat(PACKED_GAP);
/** How long a write waits for another connection's write lock before SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5000;
/** Longest pause between two attempts of a write that must not block the event loop. */
const MAX_BUSY_RETRY_MS = 4;

/**
 * The SQLite store. Besides the async AuditStore surface it offers synchronous
 * primitives that the audit pipeline composes inside one better-sqlite3 transaction
 * (staging → chain → checkpoint), and `.db` so detection keeps its tables in the same file.
 */
export interface SqliteAuditStore extends TrailStore {
  /** The write gate the threads writing this file share (null: `:memory:` or read-only); see store/write-gate.ts. */
  readonly writeGate: SharedArrayBuffer | null;
  readonly kind: 'sqlite';
  readonly db: Database.Database;
  readonly path: string;
  /** Where the next record of `chainId` links to (genesis, last record, or the retention anchor). */
  head(chainId?: string): ChainHead;
  /** Appends already-sealed records; call inside a transaction. */
  insertSealed(records: SealedRecord[]): void;
  /** True when a record for this call (trace_id + span_id) is already in the trail. */
  hasCall(traceId: string, spanId: string): boolean;
  insertCheckpoint(cp: Checkpoint): void;
  lastCheckpoint(chainId?: string): Checkpoint | null;
  /** Head of the chain's alert history. */
  alertHead(chainId?: string): ChainHead;
  /** Query with an explicit order (the API lists newest first). */
  queryOrdered(q: AuditQuery, order: 'asc' | 'desc'): AuditRecord[];
}

export interface SqliteStoreOptions {
  /** File path; created with its directory on first start. `:memory:` for tests. */
  path: string;
  /** This replica's chain. Default `main`. */
  chainId?: string;
  /** A second, read-only connection to an existing trail (the verify worker): no schema changes, no writes. */
  readOnly?: boolean;
  /**
   * With readOnly: map the file into memory (up to SQLite's 2 GiB limit), so reading a page copies
   * nothing (a whole-trail scan: verify's workers). Mapped pages count toward the process's RSS.
   */
  mapFile?: boolean;
  /**
   * The process's write gate for this file (store/write-gate.ts), from the receiving thread's
   * store (`writeGate`): this connection's write transactions take it (`priority`: the inbox's).
   */
  writeGate?: { gate: SharedArrayBuffer; priority: boolean };
}

/** The query API's SQL on SQLite (exported so a test can EXPLAIN exactly what runs). */
export function sqliteQuerySql(q: AuditQuery, order: 'asc' | 'desc'): { sql: string; params: unknown[] } {
  const { where, params, limit } = buildQueryFilter(q, () => '?', { oneIndex: true });
  const dir = order === 'desc' ? 'DESC' : 'ASC';
  params.push(limit);
  const sql =
    `SELECT hash, body FROM audit_records` +
    (where.length ? ` WHERE ${where.join(' AND ')}` : '') +
    ` ORDER BY chain_id ${dir}, seq ${dir} LIMIT ?`;
  return { sql, params };
}

export function openSqliteStore(opts: SqliteStoreOptions): SqliteAuditStore {
  const chainId = opts.chainId ?? 'main';
  if (typeof chainId !== 'string' || !CHAIN_ID_PATTERN.test(chainId)) {
    throw new StoreError(
      'MCPTRAIL_ERR_STORE_OPEN',
      `store option 'chainId' must be 1-128 characters of A-Z a-z 0-9 . _ : -, got ${JSON.stringify(chainId)}`,
    );
  }
  let db: Database.Database;
  try {
    if (opts.path !== ':memory:' && !opts.readOnly) {
      fs.mkdirSync(path.dirname(path.resolve(opts.path)), { recursive: true });
      // Audit data is private: the file is created 0600 and SQLite gives -wal/-shm the file's mode.
      fs.closeSync(fs.openSync(opts.path, 'a', 0o600));
      restrictFileModes(opts.path);
    }
    db = opts.readOnly ? new Database(opts.path, { readonly: true, fileMustExist: true }) : new Database(opts.path);
  } catch (err) {
    throw new StoreError('MCPTRAIL_ERR_STORE_OPEN', `cannot open store '${opts.path}': ${(err as Error).message}`, { cause: err });
  }
  if (opts.readOnly) {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    if (opts.mapFile) db.pragma(`mmap_size = ${MAP_BYTES}`);
    return new SqliteStore(db, opts.path, chainId);
  }
  try {
    // First: the journal_mode pragma below takes a lock, and another connection may be writing.
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma('journal_mode = WAL');
    // FULL: in WAL mode NORMAL may lose the last commits on power loss, and we acknowledge
    // exporters only after commit.
    db.pragma('synchronous = FULL');
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // The trail's indexes (time, session, actor, trace…) take random inserts: with the 2 MiB
    // default most of them re-read pages on every seal. 64 MiB keeps the hot index pages.
    db.pragma(`cache_size = -${CACHE_KIB}`);
    // Inbox rows are written and deleted within a second, so most WAL frames are
    // rewrites of the same pages: a longer WAL copies each page to the file once. A connection
    // behind the write gate checkpoints outside its commits instead (write-gate.ts).
    db.pragma(`wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES}`);
    migrate(db);
    if (opts.writeGate) attachWriteGate(db, opts.writeGate.gate, { priority: opts.writeGate.priority });
  } catch (err) {
    db.close();
    if (err instanceof StoreError) throw err;
    throw new StoreError('MCPTRAIL_ERR_STORE_OPEN', `cannot initialise store '${opts.path}': ${(err as Error).message}`, { cause: err });
  }
  return new SqliteStore(db, opts.path, chainId, opts.path === ':memory:' ? null : (opts.writeGate?.gate ?? createWriteGate()));
}

function migrate(db: Database.Database): void {
  db.exec(SQLITE_SCHEMA_V1[0]!);
  const row = db.prepare(`SELECT version FROM mcptrail_schema WHERE component = 'trail'`).get() as { version: number } | undefined;
  if (row && row.version > SQLITE_SCHEMA_VERSION) {
    throw new StoreError(
      'MCPTRAIL_ERR_STORE_SCHEMA',
      `store schema version ${row.version} is newer than this mcptrail understands (${SQLITE_SCHEMA_VERSION}); upgrade mcptrail`,
    );
  }
  // A current file is opened without writing (a second connection, e.g. the sealer thread's,
  // then never waits for the write lock at start).
  if (row?.version === SQLITE_SCHEMA_VERSION) return;
  // ALTER TABLE has no IF NOT EXISTS: the checkpoint columns of schema 3 are added to older files only.
  const from = row?.version ?? 0;
  db.transaction(() => {
    for (const stmt of SQLITE_SCHEMA_V1) if (from < 3 || !isUpgradeOnly(stmt)) db.exec(stmt);
    // v1 files: drafts acknowledged into the per-draft staging table move to the inbox.
    const legacy = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'audit_staging'`).get();
    if (legacy) {
      const rows = db.prepare(`SELECT kind, draft FROM audit_staging ORDER BY id`).all() as Array<{ kind: 'span' | 'log'; draft: string }>;
      if (rows.length > 0) db.prepare(`INSERT INTO audit_inbox (payload) VALUES (?)`).run(legacyStagingToInbox(rows));
      db.exec(`DROP TABLE audit_staging`);
    }
    db.prepare(`INSERT OR REPLACE INTO mcptrail_schema (component, version) VALUES ('trail', ?)`).run(SQLITE_SCHEMA_VERSION);
  })();
}

class SqliteStore implements SqliteAuditStore {
  readonly kind = 'sqlite' as const;
  private closed = false;
  private readonly stmts;

  constructor(
    readonly db: Database.Database,
    readonly path: string,
    readonly chainId: string,
    readonly writeGate: SharedArrayBuffer | null = null,
  ) {
    this.stmts = {
      lastRow: db.prepare(`SELECT seq, hash FROM audit_records WHERE chain_id = ? ORDER BY seq DESC LIMIT 1`),
      insert: db.prepare(`INSERT INTO audit_records (chain_id, seq, hash, body) VALUES (?, ?, ?, ?)`),
      hasCall: db.prepare(`SELECT 1 FROM audit_records WHERE trace_id = ? AND span_id = ? LIMIT 1`).pluck(),
      insertCheckpoint: db.prepare(
        `INSERT INTO checkpoints (chain_id, seq, hash, time, signature, key_id, origin, root, prev, alerts_seq, alerts_hash, frontier)
         VALUES (@chain_id, @seq, @hash, @time, @signature, @key_id, @origin, @root, @prev, @alerts_seq, @alerts_hash, @frontier)`,
      ),
      scanHashes: db.prepare(`SELECT seq, hash, '' AS body FROM audit_records WHERE chain_id = ? AND seq >= ? ORDER BY seq LIMIT ?`),
      leavesAfter: db.prepare(`SELECT hash FROM audit_records WHERE chain_id = ? AND seq > ? ORDER BY seq`).pluck(),
      lastAlert: db.prepare(`SELECT seq, hash FROM alert_events WHERE chain_id = ? ORDER BY seq DESC LIMIT 1`),
      insertAlert: db.prepare(`INSERT INTO alert_events (chain_id, seq, hash, body) VALUES (?, ?, ?, ?)`),
      alertEvents: db.prepare(`SELECT seq, hash, body FROM alert_events WHERE chain_id = ? ORDER BY seq`),
      lastCheckpoint: db.prepare(`SELECT * FROM checkpoints WHERE chain_id = ? ORDER BY seq DESC LIMIT 1`),
      checkpoints: db.prepare(`SELECT * FROM checkpoints WHERE chain_id = ? ORDER BY seq`),
      scan: db.prepare(`SELECT seq, hash, body FROM audit_records WHERE chain_id = ? AND seq >= ? ORDER BY seq LIMIT ?`),
      // The primary key (chain_id, seq) serves the range.
      rawRange: db.prepare(`SELECT seq, hash, body FROM audit_records WHERE chain_id = ? AND seq >= ? AND seq <= ? ORDER BY seq LIMIT ?`).raw(true),
      // The same rows as one result: the aggregates see them in the subquery's order (verify checks every seq).
      packedRange: db
        .prepare(
          `SELECT json_group_array(seq), json_group_array(hash), json_group_array(octet_length(body)), CAST(? || group_concat(body || hash, '') AS BLOB)
           FROM (SELECT seq, hash, body FROM audit_records WHERE chain_id = ? AND seq >= ? AND seq <= ? ORDER BY seq LIMIT ?)`,
        )
        .raw(true),
      chains: db
        .prepare(
          `SELECT DISTINCT chain_id FROM audit_records UNION SELECT DISTINCT chain_id FROM checkpoints UNION SELECT DISTINCT chain_id FROM alert_events ORDER BY 1`,
        )
        .pluck(),
    };
  }

  private inboxStmts: ReturnType<SqliteStore['prepareInbox']> | null = null;
  /** The inbox's statements, prepared at first use: a read-only connection (verify) never needs them. */
  private get inbox() {
    this.inboxStmts ??= this.prepareInbox();
    return this.inboxStmts;
  }

  /** The inbox (the SQLite file holds one replica's inbox: no chain column). */
  private prepareInbox() {
    const db = this.db;
    return {
      appendInbox: db.prepare(`INSERT INTO audit_inbox (payload) VALUES (?)`),
      markInboxOpen: db.prepare(`INSERT INTO audit_inbox_open (id) VALUES (?)`),
      closeInboxGroup: db.prepare(`DELETE FROM audit_inbox_open WHERE id IN (SELECT value FROM json_each(?))`),
      // Open slices, and those a v2-v4 store marked in `done`.
      dropOpenInbox: db.prepare(`DELETE FROM audit_inbox WHERE id IN (SELECT id FROM audit_inbox_open) OR done = '${INBOX_OPEN}'`),
      clearInboxOpen: db.prepare(`DELETE FROM audit_inbox_open`),
      readInbox: db.prepare(`SELECT id, payload, done FROM audit_inbox ORDER BY id`),
      // One statement for a whole seal batch (ids as a JSON array).
      consumeInbox: db.prepare(`DELETE FROM audit_inbox WHERE id IN (SELECT value FROM json_each(?))`),
      noteInbox: db.prepare(`UPDATE audit_inbox SET done = ? WHERE id = ?`),
    };
  }

  head(chainId = this.chainId): ChainHead {
    this.assertOpen();
    const last = this.stmts.lastRow.get(chainId) as ChainHead | undefined;
    const cp = this.lastCheckpoint(chainId);
    // After retention purged every record, the anchor checkpoint is the head.
    if (cp && (!last || cp.seq > last.seq)) return { seq: cp.seq, hash: cp.hash };
    return last ?? { seq: 0, hash: GENESIS_HASH };
  }

  insertSealed(records: SealedRecord[]): void {
    this.assertOpen();
    for (const { record, body } of records) this.stmts.insert.run(record.chain_id, record.seq, record.hash, body);
  }

  hasCall(traceId: string, spanId: string): boolean {
    return this.stmts.hasCall.get(traceId, spanId) !== undefined;
  }

  insertCheckpoint(cp: Checkpoint): void {
    this.assertOpen();
    this.stmts.insertCheckpoint.run(checkpointToRow(cp));
  }

  lastCheckpoint(chainId = this.chainId): Checkpoint | null {
    this.assertOpen();
    const row = this.stmts.lastCheckpoint.get(chainId) as Record<string, unknown> | undefined;
    return row ? checkpointFromRow(row) : null;
  }

  alertHead(chainId = this.chainId): ChainHead {
    this.assertOpen();
    const last = this.stmts.lastAlert.get(chainId) as ChainHead | undefined;
    const cp = this.lastCheckpoint(chainId);
    // After retention purged every event, the anchor checkpoint names the head.
    if (cp && (!last || cp.alerts_seq > last.seq)) return { seq: cp.alerts_seq, hash: cp.alerts_hash };
    return last ?? { seq: 0, hash: GENESIS_HASH };
  }

  /** Signs (when `sign` wants to) after the records of this transaction are in. */
  private checkpointIn(sign: CheckpointSigning): boolean {
    const last = this.lastCheckpoint();
    const state: CheckpointState = {
      head: this.head(),
      last,
      leaves: this.stmts.leavesAfter.all(this.chainId, last?.seq ?? 0) as string[],
      alerts: this.alertHead(),
    };
    const cp = sign(state);
    if (cp) this.insertCheckpoint(cp);
    return cp !== null;
  }

  async appendAlertEvents(events: readonly AlertEventInput[]): Promise<AlertEvent[]> {
    this.assertOpen();
    return gated(this.db, () => this.db.transaction(() => {
      let head = this.alertHead();
      const out: AlertEvent[] = [];
      for (const input of events) {
        const { event, body } = sealAlertEvent(input, this.chainId, head);
        this.stmts.insertAlert.run(this.chainId, event.seq, event.hash, body);
        head = { seq: event.seq, hash: event.hash };
        out.push(event);
      }
      return out;
    }).immediate());
  }

  async alertEvents(chainId: string): Promise<StoredRow[]> {
    this.assertOpen();
    return this.stmts.alertEvents.all(chainId) as StoredRow[];
  }

  async query(q: AuditQuery, order: 'asc' | 'desc' = 'asc'): Promise<AuditRecord[]> {
    return this.queryOrdered(q, order);
  }

  // --- TrailWriter: synchronous better-sqlite3 transactions behind the async seam ---

  private inboxThread: InboxThread | null = null;

  writeInboxOffThread(): void {
    this.assertOpen();
    if (this.path === ':memory:' || this.db.readonly) return;
    this.inboxThread ??= new InboxThread({ path: this.path, chainId: this.chainId, ...(this.writeGate ? { writeGate: this.writeGate } : {}) });
  }

  async appendInbox(payload: string, group?: InboxGroupStep): Promise<number> {
    this.assertOpen();
    if (this.inboxThread) return this.inboxThread.append(payload, group);
    const closes = group && 'closes' in group && group.closes.length > 0 ? JSON.stringify(group.closes) : null;
    const open = group !== undefined && 'open' in group;
    if (!closes && !open) return this.writeWithoutBlocking(() => Number(this.inbox.appendInbox.run(payload).lastInsertRowid));
    // The slice and its group's marks in one transaction (one fsync).
    const append = this.db.transaction(() => {
      const id = Number(this.inbox.appendInbox.run(payload).lastInsertRowid);
      if (open) this.inbox.markInboxOpen.run(id);
      if (closes) this.inbox.closeInboxGroup.run(closes);
      return id;
    });
    return this.writeWithoutBlocking(() => append.immediate());
  }

  async discardInbox(ids: readonly number[]): Promise<void> {
    this.assertOpen();
    if (ids.length === 0) return;
    if (this.inboxThread) return this.inboxThread.discard(ids);
    const json = JSON.stringify(ids);
    const discard = this.db.transaction(() => {
      this.inbox.consumeInbox.run(json);
      this.inbox.closeInboxGroup.run(json);
    });
    await this.writeWithoutBlocking(() => discard.immediate());
  }

  async readInbox(): Promise<InboxEntry[]> {
    this.assertOpen();
    return gated(this.db, () => this.db.transaction(() => {
      // Slices of a group commit that never completed: none of its requests was acknowledged.
      this.inbox.dropOpenInbox.run();
      this.inbox.clearInboxOpen.run();
      return this.inbox.readInbox.all() as InboxEntry[];
    }).immediate());
  }

  /**
   * Runs a write that the receiving thread makes (the inbox) without blocking its event loop on
   * another connection's work. (1) It does not sleep in SQLite's busy handler while the sealer
   * thread's connection holds the write lock (that sleep lasted up to a whole seal transaction,
   * in steps of up to 100 ms): the attempt fails at once and is retried after a timer, within
   * the same overall bound as busy_timeout. (2) Its commit does not run the WAL checkpoint
   * (copying up to WAL_CHECKPOINT_PAGES pages into the database file): the seal transactions
   * that follow every append do (behind the write gate, after they gave it back: write-gate.ts).
   */
  private async writeWithoutBlocking<T>(write: () => T): Promise<T> {
    const giveUp = performance.now() + BUSY_TIMEOUT_MS;
    // A gated connection never checkpoints in its commits (write-gate.ts): nothing to switch.
    const ownCheckpoints = !isGated(this.db);
    for (let delayMs = 1; ; delayMs = Math.min(delayMs * 2, MAX_BUSY_RETRY_MS)) {
      // db.pragma, not prepared statements: these pragmas take effect when prepared.
      this.db.pragma('busy_timeout = 0');
      if (ownCheckpoints) this.db.pragma('wal_autocheckpoint = 0');
      try {
        return gated(this.db, write);
      } catch (err) {
        if (!String((err as { code?: unknown }).code).startsWith('SQLITE_BUSY') || performance.now() >= giveUp) throw err;
      } finally {
        this.db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
        if (ownCheckpoints) this.db.pragma(`wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES}`);
      }
      await new Promise((r) => setTimeout(r, delayMs));
      this.assertOpen();
    }
  }

  async sealCalls<C extends CallKey>(
    calls: readonly C[],
    plan: (fresh: C[], head: ChainHead, last: Checkpoint | null) => SealPlan,
    inbox: InboxProgress,
  ): Promise<SealOutcome> {
    this.assertOpen();
    const freshOf = (): { fresh: C[]; duplicates: number } => {
      let duplicates = 0;
      const fresh: C[] = [];
      for (const call of calls) {
        if (call.trace_id !== null && call.span_id !== null && this.hasCall(call.trace_id, call.span_id)) duplicates++;
        else fresh.push(call);
      }
      return { fresh, duplicates };
    };
    // The plan (canonical bodies, hashes: most of a seal's work) is made BEFORE the write gate,
    // from a read snapshot: the write transaction then only checks that snapshot still holds
    // (same head, same last checkpoint, no planned call sealed meanwhile) and inserts, so an
    // inbox append (an acknowledgement) waits behind the INSERTs only. When the snapshot no
    // longer holds (another connection wrote this file), the plan is made again inside, as before.
    const snapshot = this.db.transaction(() => {
      const { fresh, duplicates } = freshOf();
      return { fresh, duplicates, head: this.head(), last: this.lastCheckpoint() };
    }).deferred();
    const early = { ...snapshot, out: plan(snapshot.fresh, snapshot.head, snapshot.last) };
    return gated(this.db, () => this.db.transaction((): SealOutcome => {
      const head = this.head();
      const last = this.lastCheckpoint();
      const holds =
        head.seq === early.head.seq &&
        head.hash === early.head.hash &&
        (last?.seq ?? null) === (early.last?.seq ?? null) &&
        (last?.hash ?? null) === (early.last?.hash ?? null) &&
        early.fresh.every((c) => c.trace_id === null || c.span_id === null || !this.hasCall(c.trace_id, c.span_id));
      let duplicates: number;
      let out: SealPlan;
      if (holds) {
        duplicates = early.duplicates;
        out = early.out;
      } else {
        const now = freshOf();
        duplicates = now.duplicates;
        out = plan(now.fresh, head, last);
      }
      this.insertSealed(out.records);
      const checkpointed = out.checkpoint ? this.checkpointIn(out.checkpoint) : false;
      if (inbox.consumed.length > 0) this.inbox.consumeInbox.run(JSON.stringify(inbox.consumed));
      for (const n of inbox.noted) this.inbox.noteInbox.run(n.done, n.id);
      return { duplicates, records: out.records.map((r) => r.record), checkpointed };
    }).immediate());
  }

  async checkpointHead(sign: CheckpointSigning): Promise<boolean> {
    this.assertOpen();
    return gated(this.db, () => this.db.transaction(() => this.checkpointIn(sign)).immediate());
  }

  queryOrdered(q: AuditQuery, order: 'asc' | 'desc'): AuditRecord[] {
    this.assertOpen();
    const { sql, params } = sqliteQuerySql(q, order);
    const rows = this.db.prepare(sql).all(...params) as Array<{ hash: string; body: string }>;
    return rows.map((r) => recordFromRow(r.body, r.hash));
  }

  iterate(opts: { chainId?: string; fromSeq?: number; batchSize?: number } = {}): AsyncIterable<AuditRecord> {
    return recordsOf(this.scan({ chainId: opts.chainId ?? this.chainId, fromSeq: opts.fromSeq, batchSize: opts.batchSize }));
  }


  scan(opts: { chainId: string; fromSeq?: number; batchSize?: number }): AsyncIterable<StoredRow[]> {
    return pageChain((from, size) => this.stmts.scan.all(opts.chainId, from, size) as StoredRow[], opts, () => this.assertOpen());
  }

  rawRange(chainId: string, fromSeq: number, throughSeq: number, limit: number): RawRow[] {
    this.assertOpen();
    return this.stmts.rawRange.all(chainId, fromSeq, throughSeq, limit) as RawRow[];
  }

  packedRange(chainId: string, fromSeq: number, throughSeq: number, limit: number): PackedRows {
    this.assertOpen();
    const [seqs, hashes, lengths, bodies] = this.stmts.packedRange.get(PACKED_FILLER, chainId, fromSeq, throughSeq, limit) as [string, string, string, Buffer | null];
    return { seqs, hashes, lengths, bodies };
  }

  scanHashes(opts: { chainId: string; fromSeq?: number; batchSize?: number }): AsyncIterable<StoredRow[]> {
    return pageChain((from, size) => this.stmts.scanHashes.all(opts.chainId, from, size) as StoredRow[], opts, () => this.assertOpen());
  }

  async chains(): Promise<string[]> {
    this.assertOpen();
    return this.stmts.chains.all() as string[];
  }

  async count(q: { chain_id?: string } = {}): Promise<number> {
    this.assertOpen();
    const row =
      q.chain_id === undefined
        ? this.db.prepare(`SELECT count(*) AS n FROM audit_records`).get()
        : this.db.prepare(`SELECT count(*) AS n FROM audit_records WHERE chain_id = ?`).get(q.chain_id);
    return (row as { n: number }).n;
  }

  async checkpoints(chainId: string): Promise<Checkpoint[]> {
    this.assertOpen();
    return (this.stmts.checkpoints.all(chainId) as Array<Record<string, unknown>>).map(checkpointFromRow);
  }

  async purgeThrough(chainId: string, seq: number): Promise<{ purged: number }> {
    this.assertOpen();
    return this.db.transaction(() => {
      const anchor = this.db.prepare(`SELECT alerts_seq FROM checkpoints WHERE chain_id = ? AND seq = ?`).pluck().get(chainId, seq) as number | null | undefined;
      forgetRolledSqlite(this.db, chainId, seq);
      const purged = this.db.prepare(`DELETE FROM audit_records WHERE chain_id = ? AND seq <= ?`).run(chainId, seq).changes;
      this.db.prepare(`DELETE FROM checkpoints WHERE chain_id = ? AND seq < ?`).run(chainId, seq);
      if (typeof anchor === 'number') this.db.prepare(`DELETE FROM alert_events WHERE chain_id = ? AND seq <= ?`).run(chainId, anchor);
      return { purged };
    })();
  }

  // --- console read side ---

  async countBy(q: CountQuery): Promise<CountRow[]> {
    this.assertOpen();
    const { sql, params } = countQuerySql(q, () => '?', 'sqlite');
    return countRowsOf(this.db.prepare(sql).all(...params) as Array<Record<string, unknown>>, q.by.length);
  }

  private rolled: TrailRollup | null = null;
  rollup(): TrailRollup {
    this.assertOpen();
    this.rolled ??= createSqliteRollup(this.db, { path: this.path, writeGate: this.writeGate });
    return this.rolled;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.inboxThread?.close();
    await this.rolled?.close();
    this.db.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreError('MCPTRAIL_ERR_STORE_CLOSED', `store '${this.path}' is closed`);
  }
}
