import type { AuditDraft, AuditRecord } from '@mcptrail/conventions';
import type { Checkpoint } from '../store/types';
import { draftsOf, type InboxDraft } from './inbox-codec';
import { Sealer, type SealerCounters, type SealerOptions } from './sealer';

/**
 * Where sealing runs, as the pipeline sees it: on the receiving thread (LocalSealStage) or
 * on a worker thread (SealerThread, sealer-thread.ts). Either way the pipeline appends
 * first and hands over an inbox entry only after its COMMIT.
 */
/**
 * Items the seal stage hands over: decoded (the receiving thread sealed them) or as the
 * sealer thread encoded them (UTF-8 JSON of the array, moved across threads without a copy),
 * decoded here only when a listener needs the objects. The detection thread takes the bytes
 * as they came, so the receiving thread never builds (nor collects) those object graphs.
 */
export class StageBatch<T> {
  private items: T[] | null;
  private bytes: Uint8Array | null;

  private constructor(items: T[] | null, bytes: Uint8Array | null, readonly count: number) {
    this.items = items;
    this.bytes = bytes;
  }

  static of<T>(items: T[]): StageBatch<T> {
    return new StageBatch(items, null, items.length);
  }

  static encoded<T>(bytes: Uint8Array, count: number): StageBatch<T> {
    return new StageBatch<T>(null, bytes, count);
  }

  /** The objects (decoded once, on first use). */
  get(): T[] {
    this.items ??= JSON.parse(Buffer.from(this.bytes!.buffer, this.bytes!.byteOffset, this.bytes!.byteLength).toString('utf8')) as T[];
    return this.items;
  }

  /** The UTF-8 JSON of the array (encoded here when the stage handed over objects). */
  encodedBytes(): Uint8Array {
    this.bytes ??= Buffer.from(JSON.stringify(this.items), 'utf8');
    return this.bytes;
  }
}

/** UTF-8 JSON of an array, in a buffer of its own (so it can be transferred to another thread). */
export function encodeBatch(items: readonly unknown[]): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(items));
}

export interface SealStage {
  /**
   * Pairs again what the inbox holds from before a restart; resolves with how many drafts
   * (the pipeline appends nothing before, so no entry is seen twice). `onLoneHalves`: drafts
   * of calls detected before sealing (SealerOptions.loneHalfMs).
   */
  start(onSealed: (records: StageBatch<AuditRecord>, released: number) => void, onCheckpoint?: (checkpoint: Checkpoint) => void, onLoneHalves?: (drafts: StageBatch<AuditDraft>) => void): Promise<number>;
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

  start(onSealed: (records: StageBatch<AuditRecord>, released: number) => void, onCheckpoint?: (checkpoint: Checkpoint) => void, onLoneHalves?: (drafts: StageBatch<AuditDraft>) => void): Promise<number> {
    this.sealer = new Sealer({
      ...this.settings,
      onSealed: (records, released) => onSealed(StageBatch.of(records), released),
      ...(onCheckpoint ? { onCheckpoint } : {}),
      ...(onLoneHalves ? { onLoneHalves: (drafts: AuditDraft[]) => onLoneHalves(StageBatch.of(drafts)) } : {}),
    });
    return this.sealer.recover();
  }

  checkpoint(): Promise<void> {
    return this.sealer!.checkpointIfBehind();
  }

  add(id: number, payload: string, rows: readonly InboxDraft[]): void {
    this.sealer!.add(id, draftsOf(payload, rows));
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
