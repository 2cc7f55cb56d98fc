import type { AuditRecord } from '@mcptrail/conventions';
import type { Alert } from '../detect/types';
import type { WitnessEntry } from '../witness/file-witness';

/**
 * Where alerts (and, when a sink asks for them, sealed audit records) go. `alerts()` and
 * `records()` only enqueue or write locally: a slow or failing destination must never
 * hold up ingestion. `flush()` waits (bounded) for what is queued; `close()` flushes and
 * releases the sink.
 */
export interface Sink {
  readonly name: string;
  /** True when the sink also wants every sealed audit record. */
  readonly wantsRecords: boolean;
  alerts(alerts: readonly Alert[]): void;
  records(records: readonly AuditRecord[]): void;
  /** A checkpoint signed note, published so the trail's reach is known outside the store (witness). */
  checkpoint?(entry: WitnessEntry): void;
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** Delivery counters a sink exposes for diagnostics and tests. */
export interface SinkStats {
  delivered: number;
  failed: number;
  dropped: number;
}
