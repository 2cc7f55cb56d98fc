/**
 * The write gate (src/store/write-gate.ts) between the threads that write one SQLite file: a
 * priority writer (the inbox: every acknowledgement waits for it) waits for at most the
 * transaction in flight, however busy the background writers (sealer, detection, rollup) are;
 * without priority it can wait for all of them (the control). A gate left held (a thread that
 * died inside) delays a writer by MAX_WAIT_MS at most. The WAL is copied into the file after the
 * gate is given back, never inside a gated commit.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { attachWriteGate, CHECKPOINT_EVERY_MS, createWriteGate, gated, MAX_WAIT_MS } from '../../src/store/write-gate';

const dist = path.join(__dirname, '..', '..', 'dist', 'store', 'write-gate.js');
const dir = mkdtempSync(path.join(tmpdir(), 'mcptrail-gate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A thread writing the file through the gate: `rounds` transactions of `holdMs` each, back to back
 * (a busy sealer), or one (`rounds: 1`). Posts 'started' before the first, 'done' with each wait.
 */
const WRITER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require('better-sqlite3');
const { attachWriteGate, gated } = require(workerData.dist);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 5000');
attachWriteGate(db, workerData.gate, { priority: workerData.priority });
const insert = db.prepare('INSERT INTO t (who, at) VALUES (?, ?)');
parentPort.postMessage({ t: 'started' });
const waits = [];
for (let i = 0; i < workerData.rounds; i++) {
  const asked = performance.now();
  gated(db, () => db.transaction(() => {
    waits.push(performance.now() - asked);
    insert.run(workerData.who, Date.now());
    const until = performance.now() + workerData.holdMs;
    while (performance.now() < until);
  }).immediate());
}
parentPort.postMessage({ t: 'done', waits });
`;

function writer(file: string, gate: SharedArrayBuffer, o: { who: string; priority: boolean; rounds: number; holdMs: number }) {
  const w = new Worker(WRITER, { eval: true, workerData: { dist, file, gate, ...o } });
  const started = new Promise<void>((r) => w.on('message', (m: { t: string }) => m.t === 'started' && r()));
  const done = new Promise<number[]>((resolve, reject) => {
    w.on('message', (m: { t: string; waits?: number[] }) => m.t === 'done' && resolve(m.waits!));
    w.on('error', reject);
  });
  return { started, done, worker: w };
}

async function ackWait(priority: boolean, name: string): Promise<number> {
  const file = path.join(dir, `${name}.db`);
  const setup = new Database(file);
  setup.pragma('journal_mode = WAL');
  setup.exec('CREATE TABLE t (who TEXT, at INTEGER)');
  setup.close();
  const gate = createWriteGate();
  // A busy background writer: 25 transactions of 40 ms back to back (1 s).
  const busy = writer(file, gate, { who: 'sealer', priority: false, rounds: 25, holdMs: 40 });
  await busy.started;
  await new Promise((r) => setTimeout(r, 100));
  const ack = writer(file, gate, { who: 'inbox', priority, rounds: 1, holdMs: 1 });
  const [wait] = await ack.done;
  await busy.done;
  await Promise.all([busy.worker.terminate(), ack.worker.terminate()]);
  return wait!;
}

describe('write gate', () => {
  it('a priority writer waits for the transaction in flight only, while a background writer keeps the file busy for 1 s', async () => {
    expect(await ackWait(true, 'prio')).toBeLessThan(250);
  }, 30_000);

  it('a background writer gives way while a priority writer waits, even with the gate free (control: a priority writer does not)', async () => {
    const gate = createWriteGate();
    const word = new Int32Array(gate);
    word[1] = 1; // a priority writer is waiting
    // Another thread: that writer gets its turn after 200 ms (and leaves).
    const other = new Worker(
      `const { workerData } = require('node:worker_threads'); const w = new Int32Array(workerData);
       setTimeout(() => { Atomics.sub(w, 1, 1); Atomics.add(w, 2, 1); Atomics.notify(w, 2); }, 200);`,
      { eval: true, workerData: gate },
    );
    const background = new Database(':memory:');
    attachWriteGate(background, gate, { priority: false });
    const t0 = performance.now();
    gated(background, () => undefined);
    expect(performance.now() - t0).toBeGreaterThan(150);
    await other.terminate();
    // Control: with a priority writer waiting, another priority writer (the inbox) goes at once.
    word[1] = 1;
    const inbox = new Database(':memory:');
    attachWriteGate(inbox, gate, { priority: true });
    const t1 = performance.now();
    gated(inbox, () => undefined);
    expect(performance.now() - t1).toBeLessThan(50);
  });

  it('a gate left held (its thread died inside) delays a writer by MAX_WAIT_MS, then the write goes on', () => {
    const gate = createWriteGate();
    new Int32Array(gate)[0] = 1; // held, and nobody will release it
    const db = new Database(':memory:');
    attachWriteGate(db, gate, { priority: false });
    const t0 = performance.now();
    expect(gated(db, () => 'written')).toBe('written');
    const waited = performance.now() - t0;
    expect(waited).toBeGreaterThanOrEqual(MAX_WAIT_MS - 5);
    expect(waited).toBeLessThan(MAX_WAIT_MS + 500);
    // A connection without a gate never waits.
    const t1 = performance.now();
    expect(gated(new Database(':memory:'), () => 1)).toBe(1);
    expect(performance.now() - t1).toBeLessThan(50);
  });

  /** A WAL-mode file with `pages` pages of rows written in one gated transaction through `db`. */
  function walFile(name: string) {
    const file = path.join(dir, `${name}.db`);
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (body BLOB)');
    return { file, db, fill: (target: { pragma(s: string): unknown }, rows: number) => gated(target, () => db.transaction(() => {
      const insert = db.prepare('INSERT INTO t (body) VALUES (?)');
      for (let i = 0; i < rows; i++) insert.run(Buffer.alloc(4000, i % 251));
    })()) };
  }

  it('a gated commit never checkpoints the WAL inside the gate; the writer checkpoints after giving it back, at most every CHECKPOINT_EVERY_MS', () => {
    const { file, db, fill } = walFile('checkpoint');
    const gate = createWriteGate();
    const word = new Int32Array(gate);
    // The connection as the gate sees it, recording whether the gate was held at each pragma.
    const seen: Array<{ pragma: string; held: number }> = [];
    const spy = { pragma: (s: string) => (seen.push({ pragma: s, held: Atomics.load(word, 0) }), db.pragma(s)) };
    attachWriteGate(spy, gate, { priority: false });
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    const before = statSync(file).size;
    // 2,000 pages: more than SQLite's default automatic checkpoint (1,000), which would run inside COMMIT.
    fill(spy, 2000);
    const checkpoints = seen.filter((x) => x.pragma.startsWith('wal_checkpoint'));
    expect(checkpoints).toEqual([{ pragma: 'wal_checkpoint(PASSIVE)', held: 0 }]);
    // It copied the pages into the database file.
    expect(statSync(file).size - before).toBeGreaterThan(2000 * 4000);
    // Within CHECKPOINT_EVERY_MS: no second checkpoint; the pages wait in the WAL.
    expect(CHECKPOINT_EVERY_MS).toBeGreaterThan(100);
    const size = statSync(file).size;
    fill(spy, 500);
    expect(seen.filter((x) => x.pragma.startsWith('wal_checkpoint'))).toHaveLength(1);
    expect(statSync(file).size).toBe(size);
    db.close();
  });

  it('a priority writer (the inbox: acknowledgements wait for it) never checkpoints; control: without a gate SQLite checkpoints in the commit', () => {
    const prio = walFile('checkpoint-prio');
    const pragmas: string[] = [];
    const spy = { pragma: (s: string) => (pragmas.push(s), prio.db.pragma(s)) };
    attachWriteGate(spy, createWriteGate(), { priority: true });
    const before = statSync(prio.file).size;
    prio.fill(spy, 2000);
    expect(pragmas.filter((p) => p.startsWith('wal_checkpoint'))).toEqual([]);
    expect(statSync(prio.file).size).toBe(before);
    prio.db.close();
    // Control: an ungated connection keeps SQLite's automatic checkpoint (run by COMMIT itself).
    const plain = walFile('checkpoint-plain');
    const start = statSync(plain.file).size;
    plain.fill(plain.db, 2000);
    expect(statSync(plain.file).size - start).toBeGreaterThan(1000 * 4000);
    plain.db.close();
  });
});
