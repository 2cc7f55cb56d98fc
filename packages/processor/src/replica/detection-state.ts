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
  /** Folds sealed records of this replica's chain into the state; returns new alerts. */
  process(records: AuditRecord[]): Alert[];
  /** Folds records sealed but not yet detected (after a crash) and returns their alerts. */
  catchUp(): Promise<{ records: number; alerts: Alert[] }>;
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
}

export function trackDetection(opts: TrackDetectionOptions): TrackedDetection {
  const { detector, db, store, chainId } = opts;
  const cursor = detectionCursor(db);
  // The detector's own transaction nests (as a savepoint) inside this one.
  const fold = db.transaction((batch: AuditRecord[]): Alert[] => {
    // Idempotent: a record of this chain at or before the cursor is already in the state.
    const done = cursor.get(chainId);
    const records = done === null ? batch : batch.filter((r) => r.chain_id !== chainId || r.seq > done);
    if (records.length === 0) return [];
    const alerts = detector.process(records);
    let last = -1;
    for (const r of records) if (r.chain_id === chainId && r.seq > last) last = r.seq;
    if (last >= 0) cursor.set(chainId, last);
    return alerts;
  });
  return {
    // IMMEDIATE: the sealer thread commits to the same file meanwhile (a read-first transaction could not upgrade).
    process: (records) => fold.immediate(records),
    async catchUp() {
      const known = cursor.get(chainId);
      if (known === null && opts.stateIsCurrentWithoutCursor) {
        const [last] = await store.query({ chain_id: chainId, limit: 1 }, 'desc');
        cursor.set(chainId, last?.seq ?? 0);
        return { records: 0, alerts: [] };
      }
      const from = (known ?? 0) + 1;
      const alerts: Alert[] = [];
      let records = 0;
      let batch: AuditRecord[] = [];
      for await (const record of store.iterate({ chainId, fromSeq: from, batchSize: CATCH_UP_BATCH })) {
        batch.push(record);
        if (batch.length >= CATCH_UP_BATCH) {
          alerts.push(...fold.immediate(batch));
          records += batch.length;
          batch = [];
        }
      }
      if (batch.length > 0) {
        alerts.push(...fold.immediate(batch));
        records += batch.length;
      }
      return { records, alerts };
    },
  };
}
