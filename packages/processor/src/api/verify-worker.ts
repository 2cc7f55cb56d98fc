/**
 * Worker thread of `/api/verify`: opens its own connection to the trail and verifies it, so
 * hashing a million records never blocks the thread that acknowledges OTLP requests.
 * workerData: { config, publicKeyPem }; posts { report } or { error }.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { verifyTrail } from '../chain/verify';
import type { ProcessorConfig } from '../config/schema';
import { openTrail, usesPostgres } from '../replica/open-trail';
import { openSqliteStore } from '../store/sqlite';
import { verifyOptionsOf } from '../witness/verify-options';

async function run(): Promise<void> {
  const { config, publicKeyPem } = workerData as { config: ProcessorConfig; publicKeyPem: string };
  if (!usesPostgres(config)) {
    // A read-only second connection: it never takes the write lock the service is using.
    const store = openSqliteStore({ path: config.store.path, chainId: config.trail.chain_id, readOnly: true });
    try {
      parentPort?.postMessage({ report: await verifyTrail(store, publicKeyPem, verifyOptionsOf(config, store.chainId)) });
    } finally {
      await store.close();
    }
    return;
  }
  const trail = await openTrail(config);
  try {
    parentPort?.postMessage({ report: await verifyTrail(trail.store, publicKeyPem, verifyOptionsOf(config, trail.store.chainId)) });
  } finally {
    await trail.close();
  }
}

run().catch((err: unknown) => parentPort?.postMessage({ error: (err as Error).message }));
