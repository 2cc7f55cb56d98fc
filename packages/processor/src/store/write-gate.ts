/**
 * The order in which this process's threads write one SQLite file. The inbox writer, the
 * sealer and detection each have their own connection on their own thread; left to SQLite, a
 * writer that finds the file locked sleeps in the busy handler in growing steps (1, 2, 5 … 100
 * ms) and tries again, so it can lose the race to a busy neighbour for seconds (measured: a
 * writer retrying against another that re-took the lock every 150 ms waited 3.0 s), and an
 * acknowledgement (an inbox append) waited behind seal and detection transactions of 100-400 ms.
 *
 * The gate is a lock word in memory shared by those threads: a write transaction takes it
 * before BEGIN and gives it back after COMMIT, the next writer is woken at once, and priority
 * writers (the inbox: every acknowledgement waits for it) go before the others. It only orders
 * writers inside the process; SQLite's own locking still decides correctness (another process,
 * or the receiving thread's connection, which never waits here). A lowered (background) thread
 * holding the gate runs at its original priority meanwhile, where the process may raise it back
 * (thread-priority.ts atBasePriority). A writer waits at most
 * MAX_WAIT_MS for the gate, then goes on to SQLite's lock as before. The gate is held only
 * across synchronous code (a better-sqlite3 transaction), never across an await.
 *
 * Gated connections do not checkpoint the WAL in their commits: SQLite's automatic checkpoint
 * runs inside COMMIT, so it held the gate while it copied thousands of pages into the file and
 * synced it (measured: a 500-record rollup step that committed with a 1000-page WAL held the
 * gate 20-130 ms, and an acknowledgement waited for all of it). A non-priority writer runs a
 * PASSIVE checkpoint after it gave the gate back, at most every CHECKPOINT_EVERY_MS; a
 * checkpoint needs no write lock in WAL mode, so writers (the inbox first) go on meanwhile.
 */

import { atBasePriority } from '../thread-priority';

/** [0] held (0/1), [1] priority writers waiting, [2] generation (bumped at every release). */
const HELD = 0;
const PRIORITY_WAITING = 1;
const GENERATION = 2;
export const MAX_WAIT_MS = 2_000;
/** How often a gated writer copies the WAL into the database file (per connection). */
export const CHECKPOINT_EVERY_MS = 1_000;

export function createWriteGate(): SharedArrayBuffer {
  return new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT);
}

/** What the gate needs of a better-sqlite3 connection. */
export interface GatedConnection {
  pragma(source: string): unknown;
}

interface Attached {
  word: Int32Array;
  priority: boolean;
  /** performance.now() before which this connection does not checkpoint again. */
  nextCheckpointMs: number;
}

const attached = new WeakMap<GatedConnection, Attached>();

/** Writes through `db` (a connection of this thread) take the gate from now on, and leave the WAL checkpoint out of their commits. */
export function attachWriteGate(db: GatedConnection, gate: SharedArrayBuffer, opts: { priority: boolean }): void {
  db.pragma('wal_autocheckpoint = 0');
  attached.set(db, { word: new Int32Array(gate), priority: opts.priority, nextCheckpointMs: 0 });
}

/** True when `db` takes the gate (and its WAL checkpoints are the gate's business). */
export function isGated(db: GatedConnection): boolean {
  return attached.has(db);
}

/** Runs `write` (one synchronous transaction on `db`) holding the gate, if `db` has one. */
export function gated<T>(db: GatedConnection, write: () => T): T {
  const a = attached.get(db);
  if (!a) return write();
  const held = acquire(a.word, a.priority);
  let result: T;
  try {
    // A background thread holding the gate runs at the receiving thread's priority meanwhile.
    result = held ? atBasePriority(write) : write();
  } finally {
    if (held) release(a.word);
  }
  // Acknowledgements must not wait for a checkpoint: the inbox's thread leaves them to the others.
  if (!a.priority) checkpointIfDue(db, a);
  return result;
}

function checkpointIfDue(db: GatedConnection, a: Attached): void {
  const now = performance.now();
  if (now < a.nextCheckpointMs) return;
  a.nextCheckpointMs = now + CHECKPOINT_EVERY_MS;
  try {
    // PASSIVE: copies what no reader still needs, never waits for a lock; what it leaves, a later one copies.
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // The write above committed; the next due checkpoint tries again.
  }
}

function bump(word: Int32Array): void {
  Atomics.add(word, GENERATION, 1);
  Atomics.notify(word, GENERATION);
}

function release(word: Int32Array): void {
  Atomics.store(word, HELD, 0);
  bump(word);
}

/** True when taken; false after MAX_WAIT_MS (the caller goes on without it). */
function acquire(word: Int32Array, priority: boolean): boolean {
  // The monotonic clock: a wall clock stepped or slewed (NTP) would shorten or stretch the wait.
  const deadline = performance.now() + MAX_WAIT_MS;
  if (priority) Atomics.add(word, PRIORITY_WAITING, 1);
  try {
    for (;;) {
      const generation = Atomics.load(word, GENERATION);
      if ((priority || Atomics.load(word, PRIORITY_WAITING) === 0) && Atomics.compareExchange(word, HELD, 0, 1) === 0) return true;
      const left = deadline - performance.now();
      if (left <= 0) return false;
      Atomics.wait(word, GENERATION, generation, Math.min(left, 50));
    }
  } finally {
    if (priority) {
      Atomics.sub(word, PRIORITY_WAITING, 1);
      bump(word);
    }
  }
}
