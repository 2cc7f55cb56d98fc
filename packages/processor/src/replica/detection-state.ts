/**
 * Detection as derived state with a cursor: the detector's baselines and alerts and the
 * last record of this replica's chain folded into them are committed in ONE SQLite
 * transaction, so after a crash (SIGKILL between sealing a batch into the trail and
 * detecting it) the replica catches up from the cursor: every sealed record is folded
 * into the baselines exactly once and its alerts are raised once.
 *
 * Not persisted (as with any restart): the in-memory windows of sequence rules, i.e. the
 * last steps of sessions that were in flight.
 *
 * Calls detected before they are sealed (a lone half, see audit/sealer.ts loneHalfMs) are
 * folded as their draft under a placeholder seq (< 0) and their call key is stored with the
 * same commit; when the call's sealed record comes (merged with a partner that arrived
 * meanwhile, or alone), it is not folded again: it only moves the cursor and puts its seq in
 * the evidence of the alerts that cited the placeholder. So each call counts once whichever
 * way, and a restart between the two (the half is detected again from the inbox) finds
 * the key and skips it.
 */
import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { AuditDraft, AuditRecord } from '@mcptrail/conventions';
import type { Alert, Detector } from '../detect/types';
import type { AuditStore } from '../store/types';

const CATCH_UP_BATCH = 1000;

export interface DetectionCursor {
  /** Last seq of `chainId` folded into the state, or null when never recorded. */
  get(chainId: string): number | null;
  set(chainId: string, seq: number): void;
}

export function detectionCursor(db: Database.Database): DetectionCursor {
  db.exec(`CREATE TABLE IF NOT EXISTS mcptrail_detect_cursor (chain_id TEXT PRIMARY KEY, seq INTEGER NOT NULL)`);
  const get = db.prepare(`SELECT seq FROM mcptrail_detect_cursor WHERE chain_id = ?`).pluck();
  const set = db.prepare(`INSERT INTO mcptrail_detect_cursor (chain_id, seq) VALUES (?, ?) ON CONFLICT (chain_id) DO UPDATE SET seq = excluded.seq`);
  return {
    get: (chainId) => (get.get(chainId) as number | undefined) ?? null,
    set: (chainId, seq) => void set.run(chainId, seq),
  };
}

/** Calls detected before sealing, until their record is sealed (or this long at most: a call sealed by another replica). */
const LONE_CALL_RETENTION_MS = 60 * 60_000;
const MAX_LONE_CALLS = 200_000;

interface LoneCall {
  placeholder: number;
  atMs: number;
}

/** The call's stand-in seq until it is sealed: negative (never a real seq), stable across restarts. */
export function placeholderSeq(traceId: string, spanId: string): number {
  const h = createHash('sha256').update(`${traceId}/${spanId}`).digest();
  return -(h.readUIntBE(0, 6) + 1);
}

function loneCallBook(db: Database.Database) {
  db.exec(`CREATE TABLE IF NOT EXISTS mcptrail_detect_lone_calls (call TEXT PRIMARY KEY, placeholder INTEGER NOT NULL, at_ms INTEGER NOT NULL)`);
  const insert = db.prepare(`INSERT OR REPLACE INTO mcptrail_detect_lone_calls (call, placeholder, at_ms) VALUES (?, ?, ?)`);
  const remove = db.prepare(`DELETE FROM mcptrail_detect_lone_calls WHERE call = ?`);
  const committed = new Map<string, LoneCall>();
  for (const r of db.prepare(`SELECT call, placeholder, at_ms FROM mcptrail_detect_lone_calls ORDER BY at_ms`).all() as Array<{ call: string; placeholder: number; at_ms: number }>) {
    committed.set(r.call, { placeholder: r.placeholder, atMs: r.at_ms });
  }
  /** Changes since the last commit (dropped when a fold is rolled back). */
  const added = new Map<string, LoneCall>();
  const removed = new Set<string>();
  return {
    get(key: string): LoneCall | undefined {
      if (removed.has(key)) return undefined;
      return added.get(key) ?? committed.get(key);
    },
    empty: () => committed.size === 0 && added.size === 0,
    add(key: string, call: LoneCall): void {
      removed.delete(key);
      added.set(key, call);
    },
    remove(key: string): void {
      added.delete(key);
      if (committed.has(key)) removed.add(key);
    },
    pending: () => added.size > 0 || removed.size > 0,
    write(nowMs: number): void {
      for (const [key, c] of added) insert.run(key, c.placeholder, c.atMs);
      for (const key of removed) remove.run(key);
      // Oldest first: a call whose record never reached this chain is forgotten eventually.
      let over = committed.size + added.size - MAX_LONE_CALLS;
      for (const [key, c] of committed) {
        if (over <= 0 && c.atMs >= nowMs - LONE_CALL_RETENTION_MS) break;
        if (!removed.has(key)) {
          remove.run(key);
          removed.add(key);
          over--;
        }
      }
    },
    committed(): void {
      for (const key of removed) committed.delete(key);
      for (const [key, c] of added) committed.set(key, c);
      added.clear();
      removed.clear();
    },
    failed(): void {
      added.clear();
      removed.clear();
    },
  };
}

const callKey = (traceId: string, spanId: string) => `${traceId}/${spanId}`;

export interface TrackedDetection {
  /**
   * Folds sealed records of this replica's chain into the state; returns the new alerts
   * that are now stored. State is committed (with the cursor) when an alert was raised, every
   * `commitRecords` records, or `commitMs` after the first uncommitted one (a timer); alerts
   * are returned only after the commit that stores them.
   */
  process(records: AuditRecord[]): Alert[];
  /**
   * Folds drafts of calls not sealed yet (a half still alone, audit/sealer.ts loneHalfMs),
   * each call once; returns the new alerts (committed at once when there are any).
   */
  loneHalves(drafts: AuditDraft[]): Alert[];
  /** Folds records sealed but not yet detected (after a crash) and returns their alerts. */
  catchUp(): Promise<{ records: number; alerts: Alert[] }>;
  /** Commits what is staged (at close, or for a caller that needs the state on disk). */
  flush(): Alert[];
  close(): void;
}

export interface TrackDetectionOptions {
  detector: Detector;
  db: Database.Database;
  store: AuditStore;
  chainId: string;
  /**
   * When the state has no cursor yet: true (a SQLite file from before cursors, whose
   * detector saw every record) starts the cursor at the chain's end; false (a new state
   * file beside a PostgreSQL trail) folds the whole chain in.
   */
  stateIsCurrentWithoutCursor: boolean;
  /** @default 500 */
  commitMs?: number;
  /** @default 1500 */
  commitRecords?: number;
  /** Alerts of a commit made by the timer (or a fold repeated after a failed commit) go here. */
  deliver?: (alerts: Alert[]) => void;
  onError?: (err: unknown) => void;
}

/**
 * Deferred commits: a busy trail's hot baselines are written about twice a second, not once per
 * seal batch. A commit holds the process's write gate, which acknowledgements wait for (≈8 µs a
 * folded record, measured: 5,000 records held it 40-60 ms under 8 MiB requests), so at most 1,500.
 */
export const DEFAULT_COMMIT_MS = 500;
export const DEFAULT_COMMIT_RECORDS = 1500;

export function trackDetection(opts: TrackDetectionOptions): TrackedDetection {
  const { detector, db, store, chainId } = opts;
  const commitMs = opts.commitMs ?? DEFAULT_COMMIT_MS;
  const commitRecords = opts.commitRecords ?? DEFAULT_COMMIT_RECORDS;
  const cursor = detectionCursor(db);
  const lone = loneCallBook(db);
  const wallClock = Date.now;
  /** Last seq folded into memory / stored with the state. */
  let committed = cursor.get(chainId);
  let staged = committed;
  /** Records folded since the last commit: folded again if that commit fails. */
  let uncommitted: AuditRecord[] = [];
  let refold = false;
  let firstStagedAt = 0;
  let timer: NodeJS.Timeout | null = null;
  /** Alerts of folds not yet committed (returned after the commit). */
  let held: Alert[] = [];

  detector.setCommitHook({
    write: () => {
      if (staged !== null && staged !== committed) cursor.set(chainId, staged);
      lone.write(wallClock());
    },
    committed: () => {
      committed = staged;
      uncommitted = [];
      lone.committed();
    },
    failed: () => {
      // Memory is back at the last commit (a read failed mid-fold): fold the same records
      // again before anything new. Windows of sequence rules (memory only) see them twice.
      refold = uncommitted.length > 0;
      staged = committed;
      held = [];
      lone.failed();
    },
    pending: () => staged !== committed || lone.pending(),
  });

  function fold(batch: readonly AuditRecord[]): void {
    const done = staged;
    // seq < 0: a call folded before it was sealed (loneHalves), refolded after a failed read.
    const records = done === null ? batch.slice() : batch.filter((r) => r.chain_id !== chainId || r.seq < 0 || r.seq > done);
    if (records.length === 0) return;
    if (uncommitted.length === 0) firstStagedAt = performance.now();
    const amends: Array<{ record: AuditRecord; placeholder: number }> = [];
    let fresh = records;
    if (!lone.empty()) {
      fresh = [];
      for (const r of records) {
        const key = r.seq > 0 && r.chain_id === chainId && r.trace_id && r.span_id ? callKey(r.trace_id, r.span_id) : null;
        const known = key ? lone.get(key) : undefined;
        if (known) {
          amends.push({ record: r, placeholder: known.placeholder });
          lone.remove(key!);
        } else fresh.push(r);
      }
    }
    held.push(...detector.stage(fresh));
    if (amends.length > 0) detector.amendSealed(amends);
    for (const r of records) {
      if (r.seq < 0 && r.trace_id && r.span_id) lone.add(callKey(r.trace_id, r.span_id), { placeholder: r.seq, atMs: wallClock() });
      // Kept for a fold after a failed read; bounded while storage refuses commits (a restart
      // then catches up from the cursor).
      if (uncommitted.length < commitRecords * 4) uncommitted.push(r);
      if (r.chain_id === chainId && r.seq > 0 && (staged === null || r.seq > staged)) staged = r.seq;
    }
  }

  function take(): Alert[] {
    const out = held;
    held = [];
    return out;
  }

  function commitNow(): Alert[] {
    if (timer) clearTimeout(timer);
    timer = null;
    if (staged !== committed || held.length > 0 || lone.pending()) detector.commit();
    return take();
  }

  function loneHalves(drafts: AuditDraft[]): Alert[] {
    const records: AuditRecord[] = [];
    const seen = new Set<string>();
    for (const d of drafts) {
      if (!d.trace_id || !d.span_id) continue;
      const key = callKey(d.trace_id, d.span_id);
      // Already folded (before a restart, or by an earlier hand-over): never twice.
      if (lone.get(key) || seen.has(key)) continue;
      seen.add(key);
      records.push({ ...(d as unknown as AuditRecord), chain_id: chainId, seq: placeholderSeq(d.trace_id, d.span_id), prev_hash: '', hash: '' });
    }
    return records.length > 0 ? process(records) : [];
  }

  function process(records: AuditRecord[]): Alert[] {
    if (refold) {
      refold = false;
      const again = uncommitted;
      uncommitted = [];
      fold(again);
    }
    fold(records);
    if (held.length > 0 || uncommitted.length >= commitRecords || (staged !== committed && uncommitted.length === 0) || performance.now() - firstStagedAt >= commitMs) return commitNow();
    arm();
    return [];
  }

  /** The commit of a quiet moment: due commitMs after the first uncommitted fold. */
  function arm(): void {
    if (timer || (uncommitted.length === 0 && !refold)) return;
    timer = setTimeout(() => {
      timer = null;
      try {
        const alerts = refold ? process([]) : commitNow();
        if (alerts.length > 0) opts.deliver?.(alerts);
      } catch (err) {
        opts.onError?.(err);
        arm();
      }
    }, commitMs);
    timer.unref();
  }

  return {
    process,
    loneHalves,
    flush: () => {
      if (refold) process([]);
      return commitNow();
    },
    close: () => {
      if (timer) clearTimeout(timer);
      timer = null;
    },
    async catchUp() {
      const known = cursor.get(chainId);
      if (known === null && opts.stateIsCurrentWithoutCursor) {
        const [last] = await store.query({ chain_id: chainId, limit: 1 }, 'desc');
        cursor.set(chainId, last?.seq ?? 0);
        committed = staged = last?.seq ?? 0;
        return { records: 0, alerts: [] };
      }
      const from = (staged ?? 0) + 1;
      const alerts: Alert[] = [];
      let records = 0;
      let batch: AuditRecord[] = [];
      for await (const record of store.iterate({ chainId, fromSeq: from, batchSize: CATCH_UP_BATCH })) {
        batch.push(record);
        if (batch.length >= CATCH_UP_BATCH) {
          alerts.push(...process(batch));
          records += batch.length;
          batch = [];
        }
      }
      if (batch.length > 0) {
        alerts.push(...process(batch));
        records += batch.length;
      }
      alerts.push(...commitNow());
      return { records, alerts };
    },
  };
}
