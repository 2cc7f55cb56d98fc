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

export function lowerThisThread(by: number): void {
  if (process.platform !== 'linux') return;
  try {
    os.setPriority(Math.min(19, os.getPriority() + by));
  } catch {
    // Not permitted or not supported: the thread keeps its priority.
  }
}
