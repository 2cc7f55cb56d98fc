/**
 * Worker threads that walk verify segments (./verify-parallel.ts), each with its own
 * read-only connection to the trail: a SQLite file or a PostgreSQL database. `walker` goes
 * into VerifyOptions; `close()` ends the threads.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ChainWalker } from './verify';
import { type SegmentPlanOptions, type SegmentResult, type SegmentRunner, type SegmentTask, segmentWalker } from './verify-parallel';

/** How a worker opens the trail (the audit sealer thread's TrailSpec). */
export type VerifyTrailSpec = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

export interface VerifyPoolOptions {
  trail: VerifyTrailSpec;
  /** Worker threads. Default: the machine's parallelism (at least 1). */
  threads?: number;
  /** See SegmentPlanOptions; default about 4 segments per thread, none under 20,000 records. */
  segments?: number;
  minSegmentRecords?: number;
  /** Run the threads below the caller's priority (the service's /api/verify: the receiving thread comes first). Default false. */
  background?: boolean;
}

export interface VerifyPool extends SegmentRunner {
  readonly walker: ChainWalker;
  readonly threads: number;
  /** Segments the workers walked (and how many records), for diagnostics and tests. */
  stats(): { segments: number; records: number };
  close(): Promise<void>;
}

export const DEFAULT_MIN_SEGMENT_RECORDS = 20_000;

/** How workers open the trail at `db` (a file or a postgres:// URL); null for `:memory:`, which no other thread can open. */
export function verifyTrailSpecOf(db: string): VerifyTrailSpec | null {
  if (/^postgres(ql)?:\/\//i.test(db)) return { kind: 'postgres', url: db };
  return db === ':memory:' ? null : { kind: 'sqlite', path: db };
}
const YOUNG_GENERATION_MB = 96;

/** The compiled worker: beside this file in dist/, or dist/ seen from src/ (tests run the sources). */
function workerFile(): string {
  const here = path.join(__dirname, 'verify-segment-worker.js');
  return existsSync(here) ? here : path.join(__dirname, '..', '..', 'dist', 'chain', 'verify-segment-worker.js');
}

type Reply = { id: number; result?: SegmentResult; error?: string };

interface Slot {
  worker: Worker;
  wake: ((r: Reply) => void) | null;
}

export function createVerifyPool(opts: VerifyPoolOptions): VerifyPool {
  const threads = Math.max(1, Math.floor(opts.threads ?? availableParallelism()));
  const slots: Slot[] = [];
  const queue: Array<{ task: SegmentTask; resolve: (r: SegmentResult) => void; reject: (e: Error) => void }> = [];
  let nextId = 1;
  let closed = false;
  let segments = 0;
  let records = 0;

  const start = (): Slot => {
    // A larger young generation: the bodies of a batch of rows die there instead of being promoted.
    const worker = new Worker(workerFile(), { workerData: { trail: opts.trail, background: opts.background ?? false }, resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } });
    const slot: Slot = { worker, wake: null };
    worker.on('message', (r: Reply) => slot.wake?.(r));
    const died = (err: Error): void => {
      slot.wake?.({ id: -1, error: err.message });
      const at = slots.indexOf(slot);
      if (at >= 0 && !closed) slots[at] = start();
      pump();
    };
    worker.on('error', died);
    worker.on('exit', (code) => died(new Error(`verify worker exited with code ${code}`)));
    worker.unref();
    return slot;
  };

  function pump(): void {
    for (const slot of slots) {
      if (slot.wake || queue.length === 0 || closed) continue;
      const job = queue.shift()!;
      const id = nextId++;
      // Referenced only while it works: an idle pool never keeps the process alive.
      slot.worker.ref();
      slot.wake = (r) => {
        slot.wake = null;
        slot.worker.unref();
        if (r.result) {
          segments++;
          records += r.result.state.records;
          job.resolve(r.result);
        } else job.reject(new Error(`verify worker: ${r.error ?? 'no result'}`));
        pump();
      };
      slot.worker.postMessage({ id, task: job.task });
    }
  }

  const runner: SegmentRunner = {
    run(task) {
      if (closed) return Promise.reject(new Error('verify pool is closed'));
      // Threads start with the first segment: a chain too short to split never pays for them.
      while (slots.length < threads) slots.push(start());
      return new Promise((resolve, reject) => {
        queue.push({ task, resolve, reject });
        pump();
      });
    },
  };
  const walker = segmentWalker(runner, {
    segments: opts.segments ?? threads * 4,
    minRecords: opts.minSegmentRecords ?? DEFAULT_MIN_SEGMENT_RECORDS,
  } satisfies SegmentPlanOptions);
  return {
    walker,
    threads,
    run: runner.run,
    stats: () => ({ segments, records }),
    async close() {
      if (closed) return;
      closed = true;
      for (const job of queue.splice(0)) job.reject(new Error('verify pool is closed'));
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}
