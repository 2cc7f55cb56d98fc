import type { AuditRecord } from '@mcptrail/conventions';
import { recordFromRow } from '../chain/hash';
import type { StoredRow } from './types';

const DEFAULT_BATCH = 1000;
const MAX_BATCH = 100_000;

/**
 * Pages one chain in seq order, `batchSize` rows at a time, for every store: `fetch(from, size)`
 * returns at most `size` rows with `seq >= from`, ordered by seq. `beforeEach` runs before every
 * page (stores use it to refuse reads after close).
 */
export async function* pageChain(
  fetch: (from: number, size: number) => StoredRow[] | Promise<StoredRow[]>,
  opts: { fromSeq?: number; batchSize?: number },
  beforeEach: () => void,
): AsyncIterable<StoredRow[]> {
  const size = Math.max(1, Math.min(opts.batchSize ?? DEFAULT_BATCH, MAX_BATCH));
  let from = opts.fromSeq ?? 0;
  for (;;) {
    beforeEach();
    const batch = await fetch(from, size);
    if (batch.length === 0) return;
    yield batch;
    if (batch.length < size) return;
    from = batch[batch.length - 1]!.seq + 1;
  }
}

/** The records of scanned pages, in order. */
export async function* recordsOf(pages: AsyncIterable<StoredRow[]>): AsyncIterable<AuditRecord> {
  for await (const page of pages) for (const row of page) yield recordFromRow(row.body, row.hash);
}
