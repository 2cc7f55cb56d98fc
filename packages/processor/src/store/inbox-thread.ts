/**
 * Inbox appends of a SQLite trail on a thread of their own, with its own connection: the
 * receiving thread posts the payload and awaits the id, so the durable commit (its fsync:
 * 1-8 ms on a quiet disk, 50-90 ms seen under load) and any wait for the sealer thread's write
 * lock happen off its event loop. Acknowledged = committed still holds: the promise resolves
 * after the worker's COMMIT. A worker that dies fails what it held (nothing of it was
 * acknowledged) and is started again at the next append.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { InboxGroupStep } from './types';

export type ToInboxWorker = { id: number; op: 'append'; payload: string; group?: InboxGroupStep } | { id: number; op: 'discard'; ids: readonly number[] };
export type FromInboxWorker = { id: number; value: number | null; error: null } | { id: number; value: null; error: { message: string; code: string | null } };

function workerFile(): string {
  const beside = path.join(__dirname, 'inbox-worker.js');
  return fs.existsSync(beside) ? beside : path.join(__dirname, '..', '..', 'dist', 'store', 'inbox-worker.js');
}

export class InboxThread {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: number | null) => void; reject: (e: Error) => void }>();

  constructor(private readonly trail: { path: string; chainId: string; writeGate?: SharedArrayBuffer }) {
    this.start();
  }

  append(payload: string, group?: InboxGroupStep): Promise<number> {
    return this.ask({ id: 0, op: 'append', payload, ...(group ? { group } : {}) }) as Promise<number>;
  }

  async discard(ids: readonly number[]): Promise<void> {
    await this.ask({ id: 0, op: 'discard', ids });
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }

  private start(): Worker {
    const w = new Worker(workerFile(), { workerData: this.trail });
    w.on('message', (m: FromInboxWorker) => {
      const wait = this.waiting.get(m.id);
      if (!wait) return;
      this.waiting.delete(m.id);
      if (m.error) wait.reject(Object.assign(new Error(m.error.message), m.error.code ? { code: m.error.code } : {}));
      else wait.resolve(m.value);
    });
    // 'error' is followed by 'exit'.
    w.on('error', () => undefined);
    w.on('exit', (code) => {
      if (this.worker === w) this.worker = null;
      const err = new Error(`inbox writer thread exited (${code})`);
      for (const wait of this.waiting.values()) wait.reject(err);
      this.waiting.clear();
    });
    w.unref();
    this.worker = w;
    return w;
  }

  private ask(m: ToInboxWorker): Promise<number | null> {
    const w = this.worker ?? this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      w.postMessage({ ...m, id });
    });
  }
}
