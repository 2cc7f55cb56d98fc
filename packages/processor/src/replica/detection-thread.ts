/**
 * Detection on a thread of its own, with its own connection to the state (the trail file for
 * SQLite, the replica's state file beside PostgreSQL): the detector, its baselines and the
 * cursor (detection-state.ts) live there, so its per-record work and its state commits (a
 * SQLite transaction that may wait for the sealer thread's write lock, then fsync) never run
 * on the receiving thread. Sealed records and lone halves arrive as the sealer thread encoded
 * them (UTF-8 JSON, transferred: nothing is decoded or cloned here); alerts come back and the
 * service hands them to the sinks. Exactly-once holds as before: the thread commits the state
 * and the cursor in one transaction and catches up from the cursor at start.
 *
 * It is also a Detector for the query API, the console and tests: those calls (`listAlerts`,
 * `baselines`, `stats`, …) are synchronous, answered by the thread between two of its batches
 * while this thread waits (Atomics.wait on a shared word; the reply comes on a port of its
 * own). The thread never waits for this one, so the wait is bounded by one batch.
 */
import fs from 'node:fs';
import path from 'node:path';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { TrailSpec } from '../audit/sealer-thread';
import type { Alert, AlertQuery, BaselineQuery, BaselineView, Detector, DetectorStats, ToolDefinitionEvent } from '../detect/types';
import type { Logger } from '../logger';

export interface DetectionThreadOptions {
  /** detection.rules_file (null: the built-in rules). */
  rulesFile: string | null;
  /** The trail (read for catch-up; for SQLite also where the state lives). */
  trail: TrailSpec;
  /** PostgreSQL trails: this replica's SQLite state file. */
  statePath: string | null;
  logger: Logger;
  /** The built detection-worker.js (default: beside this file). */
  workerPath?: string;
  /** How long a synchronous query waits for the thread. @default 30000 */
  callTimeoutMs?: number;
}

export interface DetectionThreadData {
  rulesFile: string | null;
  trail: TrailSpec;
  statePath: string | null;
  signal: SharedArrayBuffer;
  /** One BigInt64: bytes of 'sealed' and 'lone' messages the thread has folded. */
  folded: SharedArrayBuffer;
  replies: MessagePort;
}

/**
 * Bytes handed to the thread and not yet folded beyond which the receiver refuses requests
 * (503 + Retry-After 1 s) until the thread catches up: ≈ 3,000 records, about a second of its
 * work, so an acknowledged call is detected within seconds and the queue stays a few MiB.
 * Without it, a detection thread slower than the sealer (it runs at a lower priority) queued
 * without bound (54 MiB of pending batches 40 s into a 200,000-call ingest, bench/RESULTS.md).
 */
export const DETECTION_BACKLOG_MAX_BYTES = 4 * 2 ** 20;

/** Methods the thread answers (synchronously for the Detector interface, or as a promise). */
export type DetectionCall = 'listAlerts' | 'baselines' | 'stats' | 'purgeBefore' | 'reset' | 'process' | 'tick' | 'processToolDefinitions' | 'catchUp' | 'flush';

export type ToDetection =
  | { t: 'sealed' | 'lone'; json: Uint8Array; count: number }
  | { t: 'definitions'; events: ToolDefinitionEvent[] }
  | { t: 'tick'; now: number }
  | { t: 'call'; id: number; sync: boolean; method: DetectionCall; args: unknown[] }
  | { t: 'close'; id: number };

export type FromDetection =
  | { t: 'ready' }
  | { t: 'alerts'; alerts: Alert[] }
  | { t: 'reply'; id: number; value: unknown; error: string | null }
  | { t: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; msg: string; fields?: Record<string, unknown> }
  | { t: 'failed'; error: string };

function defaultWorkerPath(): string {
  const beside = path.join(__dirname, 'detection-worker.js');
  return fs.existsSync(beside) ? beside : path.join(__dirname, '..', '..', 'dist', 'replica', 'detection-worker.js');
}

export class DetectionThread implements Detector {
  private worker: Worker | null = null;
  private readonly signal = new Int32Array(new SharedArrayBuffer(4));
  private readonly folded = new BigInt64Array(new SharedArrayBuffer(8));
  private fed = 0n;
  private replies: MessagePort | null = null;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private dead: Error | null = null;
  private alertListener: (alerts: Alert[]) => void = () => undefined;

  constructor(private readonly o: DetectionThreadOptions) {}

  /** Starts the thread, catches up with the trail from the cursor, resolves with what that raised. */
  async start(onAlerts: (alerts: Alert[]) => void): Promise<{ records: number; alerts: Alert[] }> {
    this.alertListener = onAlerts;
    const { port1, port2 } = new MessageChannel();
    this.replies = port1;
    const data: DetectionThreadData = { rulesFile: this.o.rulesFile, trail: this.o.trail, statePath: this.o.statePath, signal: this.signal.buffer as SharedArrayBuffer, folded: this.folded.buffer as SharedArrayBuffer, replies: port2 };
    const worker = new Worker(this.o.workerPath ?? defaultWorkerPath(), { workerData: data, transferList: [port2] });
    this.worker = worker;
    await new Promise<void>((resolve, reject) => {
      worker.on('message', (m: FromDetection) => {
        switch (m.t) {
          case 'ready':
            resolve();
            break;
          case 'alerts':
            this.alertListener(m.alerts);
            break;
          case 'reply': {
            const w = this.waiting.get(m.id);
            this.waiting.delete(m.id);
            if (m.error === null) w?.resolve(m.value);
            else w?.reject(new Error(m.error));
            break;
          }
          case 'log':
            this.o.logger[m.level](m.msg, m.fields);
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
        if (this.worker) this.die(new Error(`detection thread exited (code ${code})`));
        reject(this.dead ?? new Error('detection thread exited'));
      });
    });
    return (await this.request('catchUp', [])) as { records: number; alerts: Alert[] };
  }

  private die(err: Error): void {
    if (this.dead) return;
    this.dead = err;
    this.o.logger.error('detection thread stopped; detection catches up from its cursor at the next start', { error: err.message });
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
  }

  /** Sealed records ('sealed') or lone halves ('lone') as UTF-8 JSON: moved to the thread, not copied. */
  feed(kind: 'sealed' | 'lone', json: Uint8Array, count: number): void {
    if (this.dead || !this.worker) return;
    const m: ToDetection = { t: kind, json, count };
    const whole = json.byteOffset === 0 && json.byteLength === json.buffer.byteLength && !(json.buffer instanceof SharedArrayBuffer);
    this.fed += BigInt(json.byteLength);
    this.worker.postMessage(m, whole ? [json.buffer as ArrayBuffer] : []);
  }

  /** Bytes fed to the thread that it has not folded yet. */
  backlogBytes(): number {
    return Number(this.fed - Atomics.load(this.folded, 0));
  }

  /** True while the backlog is over DETECTION_BACKLOG_MAX_BYTES (a dead thread holds nothing back: it catches up at the next start). */
  saturated(): boolean {
    return !this.dead && this.worker !== null && this.backlogBytes() > DETECTION_BACKLOG_MAX_BYTES;
  }

  /** Tool definitions of a logs request, in arrival order with the records (alerts come through onAlerts). */
  definitions(events: ToolDefinitionEvent[]): void {
    if (this.dead || !this.worker || events.length === 0) return;
    this.worker.postMessage({ t: 'definitions', events } satisfies ToDetection);
  }

  /** The periodic tick (alerts come through onAlerts). */
  tickLater(now: number): void {
    if (this.dead || !this.worker) return;
    this.worker.postMessage({ t: 'tick', now } satisfies ToDetection);
  }

  /** After everything sent so far is folded: commits the state and resolves with its alerts. */
  flushAsync(): Promise<Alert[]> {
    return this.request('flush', []) as Promise<Alert[]>;
  }

  /** Retention, off the receiving thread. */
  purgeBeforeAsync(cutoff: Date): Promise<{ alerts: number; baselines: number }> {
    return this.request('purgeBefore', [cutoff]) as Promise<{ alerts: number; baselines: number }>;
  }

  async close(): Promise<void> {
    const w = this.worker;
    if (!w) return;
    try {
      if (!this.dead) {
        const id = this.nextId++;
        await new Promise<unknown>((resolve, reject) => {
          this.waiting.set(id, { resolve, reject });
          w.postMessage({ t: 'close', id } satisfies ToDetection);
        });
      }
    } finally {
      this.worker = null;
      this.replies?.close();
      await w.terminate();
    }
  }

  private request(method: DetectionCall, args: unknown[]): Promise<unknown> {
    if (this.dead) return Promise.reject(this.dead);
    if (!this.worker) return Promise.reject(new Error('detection thread is not running'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker!.postMessage({ t: 'call', id, sync: false, method, args } satisfies ToDetection);
    });
  }

  /** A query answered by the thread while this one waits (see the file comment). */
  private call<T>(method: DetectionCall, args: unknown[]): T {
    if (this.dead) throw this.dead;
    if (!this.worker || !this.replies) throw new Error('detection thread is not running');
    const id = this.nextId++;
    Atomics.store(this.signal, 0, 0);
    this.worker.postMessage({ t: 'call', id, sync: true, method, args } satisfies ToDetection);
    const deadline = performance.now() + (this.o.callTimeoutMs ?? 30_000);
    for (;;) {
      const got = receiveMessageOnPort(this.replies);
      if (got) {
        const m = got.message as Extract<FromDetection, { t: 'reply' }>;
        if (m.id !== id) continue; // the answer to a call that timed out
        if (m.error !== null) throw new Error(m.error);
        return m.value as T;
      }
      if (this.dead) throw this.dead;
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`detection thread did not answer ${method} within ${this.o.callTimeoutMs ?? 30_000} ms`);
      Atomics.wait(this.signal, 0, 0, Math.min(left, 50));
      Atomics.store(this.signal, 0, 0);
    }
  }

  // The Detector interface (query API, console, tests).
  process(records: Parameters<Detector['process']>[0]): Alert[] {
    return this.call('process', [records]);
  }

  stage(): Alert[] {
    throw new Error('Detector.stage: detection runs on its own thread (replica/detection-thread.ts)');
  }

  commit(): void {
    throw new Error('Detector.commit: detection runs on its own thread (replica/detection-thread.ts)');
  }

  amendSealed(): void {
    throw new Error('Detector.amendSealed: detection runs on its own thread (replica/detection-thread.ts)');
  }

  setCommitHook(): void {
    throw new Error('Detector.setCommitHook: detection runs on its own thread (replica/detection-thread.ts)');
  }

  processToolDefinitions(events: ToolDefinitionEvent[]): Alert[] {
    return this.call('processToolDefinitions', [events]);
  }

  tick(now: number): Alert[] {
    return this.call('tick', [now]);
  }

  listAlerts(q: AlertQuery): Alert[] {
    return this.call('listAlerts', [q]);
  }

  baselines(q: BaselineQuery): BaselineView[] {
    return this.call('baselines', [q]);
  }

  reset(): void {
    this.call('reset', []);
  }

  purgeBefore(cutoff: Date): { alerts: number; baselines: number } {
    return this.call('purgeBefore', [cutoff]);
  }

  stats(): DetectorStats {
    return this.call('stats', []);
  }
}
