/**
 * Background threads (verify, ingest decoding) run below the receiving thread: the lowering
 * applies to the worker thread that asks for it, never to the thread that answers /healthz.
 */
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';

const helper = path.resolve(__dirname, '../../dist/thread-priority.js');
const gate = path.resolve(__dirname, '../../dist/store/write-gate.js');
const sqlite = require.resolve('better-sqlite3');

async function inWorker<T>(code: string): Promise<T> {
  const worker = new Worker(code, { eval: true });
  try {
    return await new Promise<T>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  } finally {
    await worker.terminate();
  }
}

describe.skipIf(process.platform !== 'linux')('thread priority', () => {
  it('a worker lowers itself; the main thread keeps its priority', async () => {
    const before = os.getPriority();
    const code = `const os = require('node:os'); const { parentPort } = require('node:worker_threads');
      const start = os.getPriority(); require(${JSON.stringify(helper)}).lowerThisThread(5); parentPort.postMessage([start, os.getPriority()]);`;
    const worker = new Worker(code, { eval: true });
    const [start, lowered] = await new Promise<[number, number]>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    expect(start).toBe(before);
    expect(lowered).toBe(Math.min(19, before + 5));
    // Control: the lowering did not reach this thread.
    expect(os.getPriority()).toBe(before);
  });

  // A lowered thread holding the write gate is a priority inversion (store/write-gate.ts): it
  // runs its transaction at the priority it had before lowering itself, where that is permitted.
  const gatedCode = (attach: boolean, denyRaise: boolean) => `const os = require('node:os'); const { parentPort } = require('node:worker_threads');
    const g = require(${JSON.stringify(gate)}); const t = require(${JSON.stringify(helper)});
    const db = new (require(${JSON.stringify(sqlite)}))(':memory:'); if (${attach}) g.attachWriteGate(db, g.createWriteGate(), { priority: false });
    const start = os.getPriority(); t.lowerThisThread(5); const low = os.getPriority();
    if (${denyRaise}) { const set = os.setPriority; os.setPriority = (...a) => { if (a[a.length - 1] < os.getPriority()) { const e = new Error('EACCES'); e.code = 'EACCES'; throw e; } return set(...a); }; }
    const inside = g.gated(db, () => os.getPriority()); const after = os.getPriority();
    let permitted = true; try { os.setPriority(start); os.setPriority(low); } catch { permitted = false; }
    parentPort.postMessage({ start, low, inside, after, permitted });`;

  it('a lowered thread runs its gated write transaction at its original priority, then is lowered again', async () => {
    const r = await inWorker<{ start: number; low: number; inside: number; after: number; permitted: boolean }>(gatedCode(true, false));
    expect(r.low).toBe(Math.min(19, r.start + 5));
    expect(r.inside).toBe(r.permitted ? r.start : r.low);
    expect(r.after).toBe(r.low);
    // Control: a connection without a gate (no transaction to hurry) stays lowered inside.
    const c = await inWorker<{ low: number; inside: number; after: number }>(gatedCode(false, false));
    expect(c.inside).toBe(c.low);
    expect(c.after).toBe(c.low);
  });

  it('where raising back is not permitted (no root or CAP_SYS_NICE) the write still runs, lowered', async () => {
    const r = await inWorker<{ low: number; inside: number; after: number }>(gatedCode(true, true));
    expect(r.inside).toBe(r.low);
    expect(r.after).toBe(r.low);
  });
});

