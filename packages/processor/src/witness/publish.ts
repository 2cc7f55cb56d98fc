/**
 * Publication of checkpoints outside the store: the witness file (on by default) and every
 * sink that takes checkpoints (file, OTLP logs, webhook). Publication never blocks or fails
 * the trail: a refusal or an I/O error is logged as an error with its code.
 */
import path from 'node:path';
import type { KeyObject } from 'node:crypto';
import { ChainError } from '../chain/errors';
import type { ProcessorConfig } from '../config/schema';
import type { Logger } from '../logger';
import type { Sink } from '../sinks/types';
import type { AuditStore, Checkpoint } from '../store/types';
import { EVENT_MCPTRAIL_CHECKPOINT, openFileWitness, witnessEntry, type FileWitness } from './file-witness';
import { storeDirOf, witnessFileOf } from './paths';

export interface CheckpointPublisher {
  readonly witnessFile: string | null;
  publish(cp: Checkpoint): void;
  /** Publishes the store's checkpoints the witness has not seen (a crash between commit and publication). */
  catchUp(store: AuditStore, chainId: string): Promise<number>;
}

export function openWitnessFor(config: ProcessorConfig, chainId: string): FileWitness | null {
  if (!config.witness.enabled) return null;
  const file = witnessFileOf(config, chainId);
  const storeDir = storeDirOf(config);
  if (storeDir !== null && path.dirname(path.resolve(file)) === storeDir) {
    throw new ChainError(
      'MCPTRAIL_ERR_WITNESS_IO',
      `witness.dir '${path.dirname(file)}' is the database's directory: a witness beside the store is rewritten with it; choose another directory`,
    );
  }
  return openFileWitness(file);
}

export function createCheckpointPublisher(opts: {
  witness: FileWitness | null;
  sinks: readonly Sink[];
  publicKey: KeyObject;
  logger: Logger;
}): CheckpointPublisher {
  let seen = -1;
  const publish = (cp: Checkpoint): void => {
    if (opts.witness) {
      try {
        opts.witness.publish(cp, opts.publicKey);
      } catch (err) {
        opts.logger.error('witness did not take the checkpoint', { code: (err as ChainError).code, seq: cp.seq, err });
      }
    }
    seen = Math.max(seen, cp.seq);
    const entry = witnessEntry(cp, opts.publicKey);
    for (const sink of opts.sinks as ReadonlyArray<Sink & { deliver?(event: string, payload: Record<string, unknown>): void }>) {
      try {
        // The webhook publishes any event through its public deliver(); the others take checkpoints.
        if (sink.checkpoint) sink.checkpoint(entry);
        else sink.deliver?.(EVENT_MCPTRAIL_CHECKPOINT, { checkpoint: entry });
      } catch (err) {
        opts.logger.error('sink failed to take a checkpoint', { sink: sink.name, err });
      }
    }
  };
  return {
    witnessFile: opts.witness?.file ?? null,
    publish,
    async catchUp(store, chainId) {
      if (!opts.witness) return 0;
      const from = opts.witness.lastSeq();
      const missing = (await store.checkpoints(chainId)).filter((cp) => cp.seq > from);
      for (const cp of missing) publish(cp);
      return missing.length;
    },
  };
}
