/**
 * The inbox writer thread (see inbox-thread.ts): its own connection to the trail, one append
 * or discard at a time in arrival order. workerData: { path, chainId }.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { nameThisThread } from '../thread-name';
import type { FromInboxWorker, ToInboxWorker } from './inbox-thread';
import { openSqliteStore } from './sqlite';

nameThisThread('inbox');

const { path, chainId, writeGate } = workerData as { path: string; chainId: string; writeGate?: SharedArrayBuffer };
// Acknowledgements wait for these appends: they go first through the process's write gate.
const store = openSqliteStore({ path, chainId, ...(writeGate ? { writeGate: { gate: writeGate, priority: true } } : {}) });
let queue: Promise<void> = Promise.resolve();

parentPort?.on('message', (m: ToInboxWorker) => {
  queue = queue.then(async () => {
    let reply: FromInboxWorker;
    try {
      const value = m.op === 'append' ? await store.appendInbox(m.payload, m.group) : (await store.discardInbox(m.ids), null);
      reply = { id: m.id, value, error: null };
    } catch (err) {
      const e = err as Error & { code?: unknown };
      reply = { id: m.id, value: null, error: { message: e.message, code: typeof e.code === 'string' ? e.code : null } };
    }
    parentPort?.postMessage(reply);
  });
});
