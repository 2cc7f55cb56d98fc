/**
 * Entry of the sealer thread (see sealer-thread.ts): opens its own connection to the
 * trail and the signing key, runs the Sealer, and answers the receiving thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createCommandSigner, loadOrCreateSigningKey } from '../chain/signing';
import { openPostgresStore } from '../store/postgres';
import { openSqliteStore } from '../store/sqlite';
import type { TrailStore } from '../store/types';
import { nameThisThread } from '../thread-name';
import { decodeInbox } from './inbox-codec';
import { encodeBatch } from './seal-stage';
import { Sealer } from './sealer';
import type { FromSealer, SealerThreadOptions, ToSealer } from './sealer-thread';
import type { TrailLogger } from './types';

nameThisThread('sealer');
const port = parentPort!;
const data = workerData as Omit<SealerThreadOptions, 'logger' | 'workerPath'>;
const send = (m: FromSealer) => port.postMessage(m);
const moveOut = (m: Extract<FromSealer, { t: 'sealed' | 'lone' }>) => port.postMessage(m, [(m.t === 'sealed' ? m.records : m.drafts).buffer as ArrayBuffer]);

/** Log fields cross the thread as plain data (errors by their message). */
const plain = (fields?: Record<string, unknown>) =>
  fields && Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v instanceof Error ? v.message : v]));
const logger: TrailLogger = {
  debug: (msg, fields) => send({ t: 'log', level: 'debug', msg, fields: plain(fields) }),
  info: (msg, fields) => send({ t: 'log', level: 'info', msg, fields: plain(fields) }),
  warn: (msg, fields) => send({ t: 'log', level: 'warn', msg, fields: plain(fields) }),
  error: (msg, fields) => send({ t: 'log', level: 'error', msg, fields: plain(fields) }),
};

async function main(): Promise<void> {
  const store: TrailStore =
    data.trail.kind === 'sqlite'
      ? openSqliteStore({ path: data.trail.path, chainId: data.trail.chainId, ...(data.trail.writeGate ? { writeGate: { gate: data.trail.writeGate, priority: false } } : {}) })
      : await openPostgresStore({ url: data.trail.url, chainId: data.trail.chainId, poolSize: 2, onError: (err) => logger.warn('store connection lost', { error: err.message }) });
  const sealer = new Sealer({
    store,
    signer: data.signerCommand ? createCommandSigner(data.signerCommand.argv, data.signerCommand.publicKeyFile) : loadOrCreateSigningKey(data.signingKeyPath),
    ...(data.origin ? { origin: data.origin } : {}),
    logger,
    clock: Date.now,
    windowMs: data.windowMs,
    clientWindowMs: data.clientWindowMs,
    checkpointRecords: data.checkpointRecords,
    checkpointMs: data.checkpointMs,
    coalesceMs: data.coalesceMs,
    // Encoded here and moved (transferred), never structured-cloned into the receiving thread's heap.
    ...(data.loneHalfMs ? { loneHalfMs: data.loneHalfMs, onLoneHalves: (drafts) => moveOut({ t: 'lone', drafts: encodeBatch(drafts), count: drafts.length }) } : {}),
    onSealed: (records, released) => moveOut({ t: 'sealed', records: encodeBatch(records), count: records.length, released, counters: { ...sealer.counters } }),
    onCheckpoint: (checkpoint) => send({ t: 'checkpoint', checkpoint }),
  });
  // Messages that arrive while recovering wait: nothing is appended before 'started' anyway.
  const recovered = await sealer.recover();
  port.on('message', (m: ToSealer) => {
    if (m.t === 'add') {
      sealer.add(m.id, decodeInbox(m.payload));
      return;
    }
    const run = m.t === 'flush' ? sealer.flush() : m.t === 'checkpoint' ? sealer.checkpointIfBehind() : sealer.close().finally(() => store.close());
    run.then(
      () => send({ t: 'done', n: m.n, error: null }),
      (err: unknown) => send({ t: 'done', n: m.n, error: (err as Error).message }),
    );
  });
  send({ t: 'started', recovered });
}

main().catch((err: unknown) => send({ t: 'failed', error: (err as Error).message }));
