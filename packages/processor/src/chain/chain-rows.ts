/**
 * Rows of one chain in seq order for the verifier, as `[seq, hash, body]` tuples: on SQLite
 * straight from a `.raw()` statement (no row object per record, which is a measurable share
 * of verify's cost at a million records), elsewhere from the store's own scan.
 */
import type Database from 'better-sqlite3';
import type { AuditStore } from '../store/types';

export type RawRow = [seq: number, hash: string, body: string];

/** Rows per page from a store that is not SQLite (PostgreSQL): one query each. */
const REMOTE_BATCH = 5000;

/** A SQLite store exposes its connection (store/sqlite.ts `db`). */
function sqliteDb(store: AuditStore): Database.Database | null {
  const db = (store as { db?: Database.Database }).db;
  return store.kind === 'sqlite' && db && typeof db.prepare === 'function' ? db : null;
}

const statements = new WeakMap<Database.Database, Database.Statement>();

function rangeStatement(db: Database.Database): Database.Statement {
  let stmt = statements.get(db);
  if (!stmt) {
    // The primary key (chain_id, seq) serves the range; same table the store's own scan reads.
    stmt = db.prepare(`SELECT seq, hash, body FROM audit_records WHERE chain_id = ? AND seq >= ? AND seq <= ? ORDER BY seq LIMIT ?`).raw(true);
    statements.set(db, stmt);
  }
  return stmt;
}

/** Rows with fromSeq <= seq <= throughSeq (null: to the end), `batchSize` at a time. */
export async function* chainRows(store: AuditStore, chainId: string, fromSeq: number, throughSeq: number | null, batchSize: number): AsyncIterable<RawRow[]> {
  const through = throughSeq ?? Number.MAX_SAFE_INTEGER;
  const db = sqliteDb(store);
  if (db) {
    const stmt = rangeStatement(db);
    let from = fromSeq;
    while (from <= through) {
      const batch = stmt.all(chainId, from, through, batchSize) as RawRow[];
      if (batch.length === 0) return;
      yield batch;
      if (batch.length < batchSize) return;
      from = batch[batch.length - 1]![0] + 1;
    }
    return;
  }
  // A round trip per page to a database server: larger pages there.
  for await (const page of store.scan({ chainId, fromSeq, batchSize: batchSize === 1 ? 1 : Math.max(batchSize, REMOTE_BATCH) })) {
    const out: RawRow[] = [];
    for (const r of page) {
      if (r.seq > through) break;
      out.push([r.seq, r.hash, r.body]);
    }
    if (out.length > 0) yield out;
    if (out.length < page.length) return;
  }
}
