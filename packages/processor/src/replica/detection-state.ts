/**
 * Detection as derived state with a cursor: the detector's baselines and alerts and the
 * last record of this replica's chain folded into them are committed in ONE SQLite
 * transaction, so after a crash (SIGKILL between sealing a batch into the trail and
 * detecting it) the replica catches up from the cursor: every sealed record is folded
 * into the baselines exactly once and its alerts are raised once.
 *
 * Not persisted (as with any restart): the in-memory windows of sequence rules, i.e. the
 * last steps of sessions that were in flight.
 */
import type Database from 'better-sqlite3';
import type { AuditRecord } from '@mcptrail/conventions';
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

export interface TrackedDetection {
  /**
   * Folds sealed records of this replica's chain into the state; returns the new alerts
   * that are now stored. State is committed (with the cursor) when an alert was raised, every
   * `commitRecords` records, or `commitMs` after the first uncommitted one (a timer); alerts
   * are returned only after the commit that stores them.
   */
  process(records: AuditRecord[]): Alert[];
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
  /** @default 5000 */
  commitRecords?: number;
  /** Alerts of a commit made by the timer (or a fold repeated after a failed commit) go here. */
  deliver?: (alerts: Alert[]) => void;
  onError?: (err: unknown) => void;
}

/** Deferred commits: a busy trail's hot baselines are written about twice a second, not once per seal batch. */
export const DEFAULT_COMMIT_MS = 500;
export const DEFAULT_COMMIT_RECORDS = 5000;

export function trackDetection(opts: TrackDetectionOptions): TrackedDetection {
  const { detector, db, store, chainId } = opts;
  const commitMs = opts.commitMs ?? DEFAULT_COMMIT_MS;
  const commitRecords = opts.commitRecords ?? DEFAULT_COMMIT_RECORDS;
  const cursor = detectionCursor(db);
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
    },
    committed: () => {
      committed = staged;
      uncommitted = [];
    },
    failed: () => {
      // Memory is back at the last commit (a read failed mid-fold): fold the same records
      // again before anything new. Windows of sequence rules (memory only) see them twice.
      refold = uncommitted.length > 0;
      staged = committed;
      held = [];
    },
    pending: () => staged !== committed,
  });

  function fold(batch: readonly AuditRecord[]): void {
    const done = staged;
    const records = done === null ? batch.slice() : batch.filter((r) => r.chain_id !== chainId || r.seq > done);
    if (records.length === 0) return;
    if (uncommitted.length === 0) firstStagedAt = performance.now();
    held.push(...detector.stage(records));
    for (const r of records) {
      // Kept for a fold after a failed read; bounded while storage refuses commits (a restart
      // then catches up from the cursor).
      if (uncommitted.length < commitRecords * 4) uncommitted.push(r);
      if (r.chain_id === chainId && (staged === null || r.seq > staged)) staged = r.seq;
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
    if (staged !== committed || held.length > 0) detector.commit();
    return take();
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
