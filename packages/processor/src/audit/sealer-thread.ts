import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { AuditDraft, AuditRecord } from '@mcptrail/conventions';
import type { Checkpoint } from '../store/types';
import type { InboxDraft } from './inbox-codec';
import { StageBatch, type SealStage } from './seal-stage';
import type { SealerCounters } from './sealer';
import type { TrailLogger } from './types';

/** How the sealer thread opens its own connection to the trail (connections do not cross threads). */
export type TrailSpec = { kind: 'sqlite'; path: string; chainId: string; writeGate?: SharedArrayBuffer } | { kind: 'postgres'; url: string; chainId: string };

export interface SealerThreadOptions {
  trail: TrailSpec;
  signingKeyPath: string;
  /** An external signer instead of the key file (trail.signer_command). */
  signerCommand?: { argv: string[]; publicKeyFile: string };
  /** Origin line of the checkpoint notes. */
  origin?: string;
  windowMs: number;
  clientWindowMs: number;
  checkpointRecords: number;
  checkpointMs: number;
  coalesceMs: number;
  /** See SealerOptions.loneHalfMs. */
  loneHalfMs?: number;
  logger: TrailLogger;
  /** The built sealer-worker.js (default: beside this file). */
  workerPath?: string;
}

/**
 * The worker's script: beside this module in the build; from the TypeScript sources (tests
 * under vitest) the package's build of it, which `npm test` builds first.
 */
function defaultWorkerPath(): string {
  const beside = path.join(__dirname, 'sealer-worker.js');
  return fs.existsSync(beside) ? beside : path.join(__dirname, '..', '..', 'dist', 'audit', 'sealer-worker.js');
}

/** Messages of the sealer thread (sealer-worker.ts) to the receiving thread. */
export type FromSealer =
  | { t: 'started'; recovered: number }
  | { t: 'sealed'; records: Uint8Array; count: number; released: number; counters: SealerCounters }
  | { t: 'done'; n: number; error: string | null }
  | { t: 'checkpoint'; checkpoint: Checkpoint }
  | { t: 'lone'; drafts: Uint8Array; count: number }
  | { t: 'log'; level: keyof TrailLogger; msg: string; fields?: Record<string, unknown> }
  | { t: 'failed'; error: string };

/** Messages of the receiving thread to the sealer thread. */
export type ToSealer = { t: 'add'; id: number; payload: string } | { t: 'flush' | 'close' | 'checkpoint'; n: number };

/**
 * Sealing (pairing, canonical JSON, SHA-256, the INSERTs, checkpoints) on a worker thread,
 * so on a multi-core machine receiving and sealing run side by side. The receiving thread
 * posts each committed inbox entry's payload (one string, no per-draft cloning); sealed
 * records come back in chain order for detection and the sinks, as UTF-8 JSON in a
 * transferred buffer (no structured clone of the object graph: decoded on this thread only
 * for listeners that want objects; the detection thread takes the bytes). If the thread dies, what
 * it held is still in the inbox: the pipeline refuses new data (503) and the next start
 * seals it.
 */
export class SealerThread implements SealStage {
  private worker: Worker | null = null;
  private counts: SealerCounters = { sealed: 0, duplicates: 0, superseded: 0, checkpoints: 0 };
  private nextN = 0;
  private readonly waiting = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();
  private dead: Error | null = null;

  constructor(private readonly o: SealerThreadOptions) {}

  start(onSealed: (records: StageBatch<AuditRecord>, released: number) => void, onCheckpoint?: (checkpoint: Checkpoint) => void, onLoneHalves?: (drafts: StageBatch<AuditDraft>) => void): Promise<number> {
    const { logger, workerPath, ...settings } = this.o;
    const data = onLoneHalves ? settings : { ...settings, loneHalfMs: 0 };
    const worker = new Worker(workerPath ?? defaultWorkerPath(), { workerData: data });
    this.worker = worker;
    return new Promise<number>((resolve, reject) => {
      worker.on('message', (m: FromSealer) => {
        switch (m.t) {
          case 'started':
            resolve(m.recovered);
            break;
          case 'sealed':
            this.counts = m.counters;
            onSealed(StageBatch.encoded(m.records, m.count), m.released);
            break;
          case 'done': {
            const w = this.waiting.get(m.n);
            this.waiting.delete(m.n);
            if (m.error === null) w?.resolve();
            else w?.reject(new Error(m.error));
            break;
          }
          case 'log':
            logger[m.level](m.msg, m.fields);
            break;
          case 'checkpoint':
            onCheckpoint?.(m.checkpoint);
            break;
          case 'lone':
            onLoneHalves?.(StageBatch.encoded(m.drafts, m.count));
            break;
          case 'failed':
            this.die(new Error(m.error));
            reject(this.dead!);
            break;
        }
      });
      worker.on('error', (err) => {
        this.die(err);
        reject(err);
      });
      worker.on('exit', (code) => {
        if (this.worker) this.die(new Error(`sealer thread exited (code ${code})`));
        reject(this.dead ?? new Error('sealer thread exited'));
      });
    });
  }

  private die(err: Error): void {
    if (this.dead) return;
    this.dead = err;
    this.o.logger.error('sealer thread stopped; acknowledged drafts stay in the inbox for the next start', { error: err.message });
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
  }

  /** Set when the thread died: the pipeline answers 503 from then on. */
  failure(): Error | null {
    return this.dead;
  }

  add(id: number, payload: string, _rows: readonly InboxDraft[]): void {
    if (this.dead) return;
    this.post({ t: 'add', id, payload });
  }

  counters(): SealerCounters {
    return this.counts;
  }

  private post(m: ToSealer): void {
    this.worker!.postMessage(m);
  }

  checkpoint(): Promise<void> {
    return this.call('checkpoint');
  }

  private call(t: 'flush' | 'close' | 'checkpoint'): Promise<void> {
    if (this.dead) return Promise.reject(this.dead);
    const n = ++this.nextN;
    return new Promise<void>((resolve, reject) => {
      this.waiting.set(n, { resolve, reject });
      this.post({ t, n });
    });
  }

  flush(): Promise<void> {
    return this.call('flush');
  }

  async close(): Promise<void> {
    if (!this.worker) return;
    try {
      if (!this.dead) await this.call('close');
    } finally {
      const w = this.worker;
      this.worker = null;
      await w.terminate();
    }
  }
}
