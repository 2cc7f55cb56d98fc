import fs from 'node:fs';
import type { Checkpoint } from './types';

/** A checkpoint as a row of either store: the frontier as JSON text. */
export function checkpointToRow(cp: Checkpoint): Record<string, unknown> {
  return { ...cp, frontier: JSON.stringify(cp.frontier) };
}

/** Row → checkpoint; rows of schema 1 have null Merkle fields (they fail verify as unchained). */
export function checkpointFromRow(row: Record<string, unknown>): Checkpoint {
  let frontier: string[] = [];
  if (typeof row.frontier === 'string') {
    try {
      const parsed = JSON.parse(row.frontier) as unknown;
      if (Array.isArray(parsed) && parsed.every((h) => typeof h === 'string')) frontier = parsed as string[];
    } catch {
      // A mangled frontier fails verification (its root will not match); nothing to do here.
    }
  }
  return {
    chain_id: String(row.chain_id),
    seq: Number(row.seq),
    hash: String(row.hash),
    time: String(row.time),
    origin: row.origin === null || row.origin === undefined ? '' : String(row.origin),
    root: row.root === null || row.root === undefined ? '' : String(row.root),
    prev: row.prev === null || row.prev === undefined ? '' : String(row.prev),
    alerts_seq: row.alerts_seq === null || row.alerts_seq === undefined ? 0 : Number(row.alerts_seq),
    alerts_hash: row.alerts_hash === null || row.alerts_hash === undefined ? '' : String(row.alerts_hash),
    frontier,
    signature: String(row.signature),
    key_id: String(row.key_id),
  };
}

/**
 * Store files readable by others (older versions created them 0644) become 0600, with their
 * -wal/-shm. A file without access for others keeps its group bits (0640 for a log-reader
 * group is the operator's documented choice), minus group write.
 */
export function restrictFileModes(dbPath: string): void {
  for (const file of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`]) {
    try {
      const mode = fs.statSync(file).mode & 0o777;
      if (mode & 0o007) fs.chmodSync(file, mode & 0o700);
      else if (mode & 0o020) fs.chmodSync(file, mode & ~0o020);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}
