/**
 * Background threads (verify, ingest decoding) run below the receiving thread: the lowering
 * applies to the worker thread that asks for it, never to the thread that answers /healthz.
 */
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';

const helper = path.resolve(__dirname, '../../dist/thread-priority.js');

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
});
