/**
 * Worker thread of `/api/verify`: opens its own connection to the trail and verifies it, so
 * hashing a million records never blocks the thread that acknowledges OTLP requests.
 * workerData: { config, publicKeyPem }; posts { report } or { error }.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { type VerifyOptions, verifyTrail } from '../chain/verify';
import { createVerifyPool, verifyTrailSpecOf } from '../chain/verify-pool';
import type { ProcessorConfig } from '../config/schema';
import { openTrail, usesPostgres } from '../replica/open-trail';
import { nameThisThread } from '../thread-name';
import { lowerThisThread, NICE_VERIFY } from '../thread-priority';
import { openSqliteStore } from '../store/sqlite';
import { verifyOptionsOf } from '../witness/verify-options';

/**
 * Segments walk on a pool of one thread fewer than the machine has (at least one): the
 * receiving thread keeps a core while a verify runs.
 */
const VERIFY_THREADS = Math.max(1, availableParallelism() - 1);

async function run(): Promise<void> {
  // Background work: the receiving thread gets the cores first (this thread, and the pool's below it).
  nameThisThread('verify');
  lowerThisThread(NICE_VERIFY);
  const { config, publicKeyPem } = workerData as { config: ProcessorConfig; publicKeyPem: string };
  const spec = verifyTrailSpecOf(config.store.path);
  const pool = spec ? createVerifyPool({ trail: spec, threads: VERIFY_THREADS, background: true }) : null;
  const withPool = (o: VerifyOptions): VerifyOptions => (pool ? { ...o, walker: pool.walker } : o);
  try {
    if (!usesPostgres(config)) {
      // A read-only second connection: it never takes the write lock the service is using.
      const store = openSqliteStore({ path: config.store.path, chainId: config.trail.chain_id, readOnly: true });
      try {
        parentPort?.postMessage({ report: await verifyTrail(store, publicKeyPem, withPool(verifyOptionsOf(config, store.chainId))) });
      } finally {
        await store.close();
      }
      return;
    }
    const trail = await openTrail(config);
    try {
      parentPort?.postMessage({ report: await verifyTrail(trail.store, publicKeyPem, withPool(verifyOptionsOf(config, trail.store.chainId))) });
    } finally {
      await trail.close();
    }
  } finally {
    await pool?.close();
  }
}

run().catch((err: unknown) => parentPort?.postMessage({ error: (err as Error).message }));
