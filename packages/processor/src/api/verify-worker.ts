/**
 * Worker thread of `/api/verify`: opens its own connection to the trail and verifies it, so
 * hashing a million records never blocks the thread that acknowledges OTLP requests.
 * workerData: { config, publicKeyPem }; posts { report } or { error }.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { verifyTrail } from '../chain/verify';
import type { ProcessorConfig } from '../config/schema';
import { openTrail } from '../replica/open-trail';
import { verifyOptionsOf } from '../witness/verify-options';

async function run(): Promise<void> {
  const { config, publicKeyPem } = workerData as { config: ProcessorConfig; publicKeyPem: string };
  const trail = await openTrail(config);
  try {
    parentPort?.postMessage({ report: await verifyTrail(trail.store, publicKeyPem, verifyOptionsOf(config, trail.store.chainId)) });
  } finally {
    await trail.close();
  }
}

run().catch((err: unknown) => parentPort?.postMessage({ error: (err as Error).message }));
