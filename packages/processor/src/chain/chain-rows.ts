/**
 * Rows of one chain in seq order for the verifier, as `[seq, hash, body]` tuples: from the store's
 * `rawRange` where it has one (SQLite: no row object per record), else from its own scan.
 */
import type { AuditStore, RawRow } from '../store/types';

export type { RawRow } from '../store/types';

/** Rows per page from a store without `rawRange` (PostgreSQL): one query each. */
const REMOTE_BATCH = 5000;

/** Rows with fromSeq <= seq <= throughSeq (null: to the end), `batchSize` at a time. */
export async function* chainRows(store: AuditStore, chainId: string, fromSeq: number, throughSeq: number | null, batchSize: number): AsyncIterable<RawRow[]> {
  const through = throughSeq ?? Number.MAX_SAFE_INTEGER;
  if (store.rawRange) {
    let from = fromSeq;
    while (from <= through) {
      const batch = store.rawRange(chainId, from, through, batchSize);
      if (batch.length === 0) return;
      for (const row of batch) if (typeof row[2] !== 'string') row[2] = bodyText(row[2]);
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
      out.push([r.seq, r.hash, typeof r.body === 'string' ? r.body : bodyText(r.body)]);
    }
    if (out.length > 0) yield out;
    if (out.length < page.length) return;
  }
}

/** A body stored as something other than text (an attacker's BLOB or number) as the text verify hashes: its UTF-8, its digits. */
function bodyText(value: unknown): string {
  return Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
}
