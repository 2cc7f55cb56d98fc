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
 */

import { atBasePriority } from '../thread-priority';

/** [0] held (0/1), [1] priority writers waiting, [2] generation (bumped at every release). */
const HELD = 0;
const PRIORITY_WAITING = 1;
const GENERATION = 2;
export const MAX_WAIT_MS = 2_000;

export function createWriteGate(): SharedArrayBuffer {
  return new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT);
}

interface Attached {
  word: Int32Array;
  priority: boolean;
}

const attached = new WeakMap<object, Attached>();

/** Writes through `db` (a connection of this thread) take the gate from now on. */
export function attachWriteGate(db: object, gate: SharedArrayBuffer, opts: { priority: boolean }): void {
  attached.set(db, { word: new Int32Array(gate), priority: opts.priority });
}

/** Runs `write` (one synchronous transaction on `db`) holding the gate, if `db` has one. */
export function gated<T>(db: object, write: () => T): T {
  const a = attached.get(db);
  if (!a) return write();
  const held = acquire(a.word, a.priority);
  try {
    // A background thread holding the gate runs at the receiving thread's priority meanwhile.
    return held ? atBasePriority(write) : write();
  } finally {
    if (held) release(a.word);
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
  const deadline = Date.now() + MAX_WAIT_MS;
  if (priority) Atomics.add(word, PRIORITY_WAITING, 1);
  try {
    for (;;) {
      const generation = Atomics.load(word, GENERATION);
      if ((priority || Atomics.load(word, PRIORITY_WAITING) === 0) && Atomics.compareExchange(word, HELD, 0, 1) === 0) return true;
      const left = deadline - Date.now();
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
