/**
 * The main thread's side of the ingest worker(s): hands a request body over (transferred,
 * not copied), then pulls the prepared drafts back in slices, yielding to the event loop
 * between slices. A worker that dies is replaced; its requests fail with an error the
 * receiver answers 500 to (nothing of them was acknowledged).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { InboxDraft } from '../audit/inbox-codec';
import type { PreparedDrafts } from '../audit/pipeline';
import type { ToolDefinitionEvent } from '../detect/types';
import type { Logger } from '../logger';
import type { OtlpFormat } from './decode';
import type { OtlpSignal } from './encode-response';
import { OTLP_ERRORS, OtlpDecodeError, type OtlpErrorCode } from './errors';
import { INFLATE_ERROR_CODES, InflateError, type InflateErrorCode } from './inflate';
import type { PreparedExport } from './prepare';
import type { EmitterIdentity } from './types';

/** Drafts per slice pulled back to the main thread: bounds its deserialization work per turn (~ a few ms). */
export const PREPARE_SLICE = 256;

export type PrepareRequest =
  | {
      type: 'prepare';
      id: number;
      signal: OtlpSignal;
      format: OtlpFormat;
      body: Uint8Array;
      emitter: EmitterIdentity | undefined;
      receivedMs: number;
      /** Set when `body` is compressed: the worker inflates it, capped at maxBytes. */
      inflate?: { encoding: 'gzip' | 'deflate'; maxBytes: number };
    }
  | { type: 'take'; id: number; from: number; count: number }
  | { type: 'drop'; id: number };

export type PrepareReply =
  | { type: 'head'; id: number; total: number; counts: Omit<PreparedDrafts, 'rows'>; toolDefinitions: ToolDefinitionEvent[] }
  | { type: 'rows'; id: number; rows: InboxDraft[] }
  | { type: 'error'; id: number; code: string | null; message: string };

export interface PreparePool {
  /** With `inflate`, `body` is compressed and inflated in the worker (throws InflateError as otlp/inflate.ts does). */
  prepare(
    signal: OtlpSignal,
    format: OtlpFormat,
    body: Uint8Array,
    emitter: EmitterIdentity | undefined,
    receivedMs: number,
    inflate?: { encoding: 'gzip' | 'deflate'; maxBytes: number },
  ): Promise<PreparedExport>;
  close(): Promise<void>;
}

function workerFile(): string {
  const here = path.join(__dirname, 'prepare-worker.js');
  return existsSync(here) ? here : path.join(__dirname, '..', '..', 'dist', 'otlp', 'prepare-worker.js');
}

interface Slot {
  worker: Worker;
  busy: number;
  waiting: Map<number, (r: PrepareReply) => void>;
}

export function createPreparePool(opts: { size: number; workerData: unknown; logger: Logger }): PreparePool {
  let nextId = 1;
  let closed = false;
  const slots: Slot[] = [];

  function spawn(index: number): Slot {
    const worker = new Worker(workerFile(), { workerData: opts.workerData });
    const slot: Slot = { worker, busy: 0, waiting: new Map() };
    worker.on('message', (r: PrepareReply) => {
      const wake = slot.waiting.get(r.id);
      if (wake) {
        slot.waiting.delete(r.id);
        wake(r);
      }
    });
    worker.on('error', (err) => opts.logger.error('ingest worker failed', { err }));
    worker.on('exit', (code) => {
      for (const [id, wake] of slot.waiting) wake({ type: 'error', id, code: null, message: `ingest worker exited (${code})` });
      slot.waiting.clear();
      if (!closed) slots[index] = spawn(index);
    });
    worker.unref();
    return slot;
  }
  for (let i = 0; i < Math.max(1, opts.size); i++) slots.push(spawn(i));

  const ask = (slot: Slot, m: PrepareRequest, transfer: ArrayBuffer[] = []): Promise<PrepareReply> =>
    new Promise((resolve) => {
      slot.waiting.set(m.id, resolve);
      slot.worker.postMessage(m, transfer);
    });
  const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

  return {
    async prepare(signal, format, body, emitter, receivedMs, inflate) {
      const slot = slots.reduce((a, b) => (b.busy < a.busy ? b : a));
      const id = nextId++;
      slot.busy++;
      try {
        // Transfer the bytes: the body is not used on this thread again. A view into a pooled buffer is copied first.
        const own = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength ? body : Uint8Array.prototype.slice.call(body);
        const request: PrepareRequest = { type: 'prepare', id, signal, format, body: own, emitter, receivedMs, ...(inflate ? { inflate } : {}) };
        const head = await ask(slot, request, [own.buffer as ArrayBuffer]);
        if (head.type === 'error') {
          if (head.code && INFLATE_ERROR_CODES.has(head.code)) throw new InflateError(head.code as InflateErrorCode, head.message);
          if (head.code && head.code in OTLP_ERRORS) throw new OtlpDecodeError(head.message, head.code as OtlpErrorCode);
          throw new Error(head.message);
        }
        if (head.type !== 'head') throw new Error('ingest worker: unexpected reply');
        const rows: InboxDraft[] = [];
        while (rows.length < head.total) {
          await turn();
          const r = await ask(slot, { type: 'take', id, from: rows.length, count: PREPARE_SLICE });
          if (r.type !== 'rows') throw new Error(r.type === 'error' ? r.message : 'ingest worker: unexpected reply');
          for (const row of r.rows) rows.push(row);
        }
        return { drafts: { rows, ...head.counts }, toolDefinitions: head.toolDefinitions };
      } finally {
        slot.busy--;
      }
    },
    async close() {
      closed = true;
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}
