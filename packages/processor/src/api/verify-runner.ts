/**
 * `/api/verify` behind a limiter: one verification at a time (concurrent callers share it),
 * a new one at most every `minIntervalMs`, each in a worker thread when the trail can be
 * opened from one (a file or PostgreSQL; not `:memory:`).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { VerifyReport } from '../chain/verify';
import { ApiError } from './errors';

export type VerifyFn = () => Promise<VerifyReport | { ok: boolean }>;

export const DEFAULT_VERIFY_INTERVAL_MS = 10_000;

/** The compiled worker: beside this file in dist/, or dist/ seen from src/ (tests run the sources). */
function workerFile(): string {
  const here = path.join(__dirname, 'verify-worker.js');
  return existsSync(here) ? here : path.join(__dirname, '..', '..', 'dist', 'api', 'verify-worker.js');
}

/** Verifies the trail of `config` in a worker thread; resolves with its report. */
export function verifyInWorker(config: unknown, publicKeyPem: string): Promise<VerifyReport> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerFile(), { workerData: { config, publicKeyPem } });
    let settled = false;
    worker.once('message', (m: { report?: VerifyReport; error?: string }) => {
      settled = true;
      if (m.report) resolve(m.report);
      else reject(new Error(`verification failed: ${m.error ?? 'unknown error'}`));
      void worker.terminate();
    });
    worker.once('error', (err) => {
      if (!settled) reject(err);
      settled = true;
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`verification worker exited with code ${code}`));
      settled = true;
    });
  });
}

export interface RateLimitedVerify {
  /** Shares a running verification; throws ApiError MCPTRAIL_ERR_API_RATE_LIMITED (429) when too soon after the last. */
  run(): Promise<VerifyReport | { ok: boolean }>;
}

export function rateLimitedVerify(verify: VerifyFn, minIntervalMs = DEFAULT_VERIFY_INTERVAL_MS, clock: () => number = Date.now): RateLimitedVerify {
  let running: Promise<VerifyReport | { ok: boolean }> | null = null;
  let lastStart = -Infinity;
  return {
    run() {
      if (running) return running;
      const wait = lastStart + minIntervalMs - clock();
      if (wait > 0) {
        throw new ApiError('MCPTRAIL_ERR_API_RATE_LIMITED', `a verification ran less than ${Math.ceil(minIntervalMs / 1000)}s ago; retry after ${Math.ceil(wait / 1000)}s`, null, Math.ceil(wait / 1000));
      }
      lastStart = clock();
      running = verify().finally(() => (running = null));
      return running;
    },
  };
}
