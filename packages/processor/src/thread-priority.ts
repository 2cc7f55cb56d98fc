/**
 * Lowers the scheduling priority of the calling thread (Linux nice is per thread; elsewhere
 * this lowers the process, so it is done only where that is per thread), so that the thread
 * that answers /healthz and acknowledges OTLP requests gets the CPU first when the cores are
 * busy. Measured: on 2 cores a 1M-record /api/verify left the receiving thread runnable but
 * waiting for a core 11 s of 34 s (bench/RESULTS.md, latency section).
 */
import os from 'node:os';

/** How far below the receiving thread: verify is background work, ingest decoding a little less so. */
export const NICE_VERIFY = 10;
export const NICE_INGEST_WORKER = 5;
/** Detection folds sealed records behind the trail (derived state with a cursor): background work. */
export const NICE_DETECTION = 5;

/** This thread's priority before and after lowerThisThread (null: never lowered). */
let lowered: { base: number; low: number } | null = null;
/** False once raising back failed (no root or CAP_SYS_NICE): not tried again. */
let canRaise = true;

export function lowerThisThread(by: number): void {
  if (process.platform !== 'linux') return;
  try {
    const base = os.getPriority();
    os.setPriority(Math.min(19, base + by));
    lowered = { base, low: os.getPriority() };
  } catch {
    // Not permitted or not supported: the thread keeps its priority.
  }
}

/**
 * Runs `fn` (a write transaction holding the process's write gate: store/write-gate.ts) at the
 * priority this thread had before it lowered itself, and lowers it again after. A lowered
 * thread that holds the gate is a priority inversion: the acknowledgements waiting for the gate
 * wait while the holder waits for a core behind every busier thread (measured: a rollup step of
 * 16 ms of CPU held the gate 133 ms). Raising a thread's priority back needs root or
 * CAP_SYS_NICE on Linux: without, the first attempt fails and `fn` runs as before, lowered.
 */
export function atBasePriority<T>(fn: () => T): T {
  const l = lowered;
  if (!l || !canRaise || l.low === l.base) return fn();
  try {
    os.setPriority(l.base);
  } catch {
    canRaise = false;
    return fn();
  }
  try {
    return fn();
  } finally {
    try {
      os.setPriority(l.low);
    } catch {
      // Lowering is always permitted; nothing else to do.
    }
  }
}
