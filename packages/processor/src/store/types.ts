import type { AuditOutcome, AuditRecord } from '@mcptrail/conventions';

/** Filters of the query API and `mcptrail query`. All given filters must match (AND). */
export interface AuditQuery {
  session_id?: string;
  actor_id?: string;
  tool?: string;
  outcome?: AuditOutcome;
  method?: string;
  service?: string;
  trace_id?: string;
  chain_id?: string;
  /** Inclusive lower bound on `time` (ISO 8601). */
  since?: string;
  /** Exclusive upper bound on `time` (ISO 8601). */
  until?: string;
  /** Only records with `seq` greater than this (pagination within one chain). */
  after_seq?: number;
  /** Default 100, max 1000. */
  limit?: number;
}

/**
 * A record as stored: its position, its hash and the exact canonical JSON text that was
 * hashed. Verification works on this form so it never has to re-serialise records.
 */
export interface StoredRow {
  seq: number;
  hash: string;
  /** canonicalJson(record without `hash`): the bytes the hash covers. */
  body: string;
}

/** A signed statement "chain `chain_id` had hash `hash` at `seq`" (CloudTrail-digest style). */
export interface Checkpoint {
  chain_id: string;
  seq: number;
  hash: string;
  /** ISO 8601: when the checkpoint was signed. */
  time: string;
  /** Base64 Ed25519 signature over checkpointPayload({chain_id, seq, hash, time}). */
  signature: string;
  /** Fingerprint of the public key that signed it. */
  key_id: string;
}

/** Store-agnostic access to the trail. SQLite today; PostgreSQL implements the same. */
export interface AuditStore {
  readonly kind: 'sqlite' | 'postgres';
  /** This replica's chain. */
  readonly chainId: string;
  query(q: AuditQuery): Promise<AuditRecord[]>;
  /** Records of one chain (default: this replica's) in chain order. */
  iterate(opts?: { chainId?: string; fromSeq?: number; batchSize?: number }): AsyncIterable<AuditRecord>;
  chains(): Promise<string[]>;
  count(q?: { chain_id?: string }): Promise<number>;
  /** Raw rows of one chain in `seq` order, in batches (for verification). */
  scan(opts: { chainId: string; fromSeq?: number; batchSize?: number }): AsyncIterable<StoredRow[]>;
  /** Checkpoints of one chain, oldest first. */
  checkpoints(chainId: string): Promise<Checkpoint[]>;
  /** Retention: deletes records with seq <= `seq` and checkpoints before `seq` (the one at `seq` stays as the anchor). */
  purgeThrough(chainId: string, seq: number): Promise<{ purged: number }>;
  close(): Promise<void>;
}

/** The head of a chain: what the next record links to. */
export interface ChainHead {
  seq: number;
  hash: string;
}
