/** What the processor's own verification (`/api/verify`, the console) checks beyond the store: its chain, its witness file, the signing interval. */
import { existsSync } from 'node:fs';
import type { VerifyOptions } from '../chain/verify';
import type { ProcessorConfig } from '../config/schema';
import { readWitnessFile } from './file-witness';
import { witnessFileOf } from './paths';

/** Records may stay after the newest checkpoint two signing intervals and a minute before verify calls them uncovered. */
export function uncoveredLimitMs(config: ProcessorConfig): number {
  return (2 * config.trail.checkpoint_seconds + 60) * 1000;
}

export function verifyOptionsOf(config: ProcessorConfig, chainId: string): VerifyOptions {
  const file = config.witness.enabled ? witnessFileOf(config, chainId) : null;
  return {
    chains: [chainId],
    maxUncoveredMs: uncoveredLimitMs(config),
    ...(file && existsSync(file) ? { witnessed: readWitnessFile(file) } : {}),
  };
}
