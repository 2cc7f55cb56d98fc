/**
 * Worker thread of the SQLite rollup's steps (rollup-sqlite.ts): its own connection to the
 * trail file, so reading the JSON of thousands of records never stalls the thread that
 * acknowledges OTLP requests. The rollup is derived data: commits need not wait for fsync.
 * workerData: { path }; messages { id, max } → { id, rolled, behind } or { id, error }.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { nameThisThread } from '../thread-name';
import { lowerThisThread, NICE_VERIFY } from '../thread-priority';
import { stepSqliteRollup } from './rollup-sqlite';
import { attachWriteGate } from './write-gate';

// Background work like verify: the receiving thread gets the cores first. It holds the write
// lock only to add counts in (rollup-sqlite.ts), so a sealer never waits on its reading.
nameThisThread('rollup');
lowerThisThread(NICE_VERIFY);

const { path, writeGate } = workerData as { path: string; writeGate?: SharedArrayBuffer | null };
const db = new Database(path, { fileMustExist: true });
db.pragma('busy_timeout = 5000');
db.pragma('synchronous = NORMAL');
// Low priority and holding the write lock is the worst of both: it goes through the gate, after acknowledgements.
if (writeGate) attachWriteGate(db, writeGate, { priority: false });

parentPort?.on('message', (m: { id: number; max: number }) => {
  try {
    parentPort?.postMessage({ id: m.id, ...stepSqliteRollup(db, m.max) });
  } catch (err) {
    parentPort?.postMessage({ id: m.id, error: (err as Error).message });
  }
});
