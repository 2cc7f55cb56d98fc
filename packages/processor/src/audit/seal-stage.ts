import type { AuditDraft, AuditRecord } from '@mcptrail/conventions';
import type { Checkpoint } from '../store/types';
import type { InboxDraft } from './inbox-codec';
import { Sealer, type SealerCounters, type SealerOptions } from './sealer';

/**
 * Where sealing runs, as the pipeline sees it: on the receiving thread (LocalSealStage) or
 * on a worker thread (SealerThread, sealer-thread.ts). Either way the pipeline appends
 * first and hands over an inbox entry only after its COMMIT.
 */
export interface SealStage {
  /**
   * Pairs again what the inbox holds from before a restart; resolves with how many drafts
   * (the pipeline appends nothing before, so no entry is seen twice). `onLoneHalves`: drafts
   * of calls detected before sealing (SealerOptions.loneHalfMs).
   */
  start(onSealed: (records: AuditRecord[], released: number) => void, onCheckpoint?: (checkpoint: Checkpoint) => void, onLoneHalves?: (drafts: AuditDraft[]) => void): Promise<number>;
  /** Signs a checkpoint now when the chain or its alert history moved since the last. */
  checkpoint(): Promise<void>;
  /** Inbox entry `id` committed: `payload` is its encoding, `rows` the same drafts decoded. */
  add(id: number, payload: string, rows: readonly InboxDraft[]): void;
  counters(): SealerCounters;
  /** Seals everything held; resolves after every onSealed of it ran. */
  flush(): Promise<void>;
  /** Seals everything held, signs a final checkpoint, stops. */
  close(): Promise<void>;
}

export type SealerSettings = Omit<SealerOptions, 'onSealed' | 'onCheckpoint' | 'onLoneHalves'>;

export class LocalSealStage implements SealStage {
  private sealer: Sealer | null = null;

  constructor(private readonly settings: SealerSettings) {}

  start(onSealed: (records: AuditRecord[], released: number) => void, onCheckpoint?: (checkpoint: Checkpoint) => void, onLoneHalves?: (drafts: AuditDraft[]) => void): Promise<number> {
    this.sealer = new Sealer({ ...this.settings, onSealed, ...(onCheckpoint ? { onCheckpoint } : {}), ...(onLoneHalves ? { onLoneHalves } : {}) });
    return this.sealer.recover();
  }

  checkpoint(): Promise<void> {
    return this.sealer!.checkpointIfBehind();
  }

  add(id: number, _payload: string, rows: readonly InboxDraft[]): void {
    this.sealer!.add(id, rows);
  }

  counters(): SealerCounters {
    return this.sealer?.counters ?? { sealed: 0, duplicates: 0, superseded: 0, checkpoints: 0 };
  }

  flush(): Promise<void> {
    return this.sealer!.flush();
  }

  close(): Promise<void> {
    return this.sealer!.close();
  }
}
