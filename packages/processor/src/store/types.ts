import type { AuditOutcome, AuditRecord } from '@mcptrail/conventions';
import type { CountQuery, CountRow } from './aggregate';

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
  /** Matching records of every chain, ordered by (chain_id, seq); `desc` lists newest first. */
  query(q: AuditQuery, order?: 'asc' | 'desc'): Promise<AuditRecord[]>;
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

  // --- console read side (src/console): aggregation in the database, see ./aggregate.ts ---
  /** Counts of records matching `q.where`, grouped by `q.by` (GROUP BY in the database). */
  countBy(q: CountQuery): Promise<CountRow[]>;
}

/** The head of a chain: what the next record links to. */
export interface ChainHead {
  seq: number;
  hash: string;
}

/**
 * One durable append of the inbox: the drafts of one group commit (every request that
 * arrived while the previous append was in flight), acknowledged once it committed and
 * deleted in the seal transaction that consumes its last draft.
 */
export interface InboxEntry {
  id: number;
  /** The pipeline's encoding of the drafts (the store never looks inside). */
  payload: string;
  /** The pipeline's progress note on a partly sealed entry (null: none). */
  done: string | null;
}

/** A call to seal: the store only needs its key for the call-once check. */
export interface CallKey {
  trace_id: string | null;
  span_id: string | null;
}

/** Inbox bookkeeping done by the same transaction that seals. */
export interface InboxProgress {
  /** Entries whose every draft is now sealed (or dropped as a duplicate): deleted. */
  consumed: number[];
  /** Entries still holding drafts: their new progress note. */
  noted: Array<{ id: number; done: string }>;
}

/** What the pipeline decided for one seal transaction: the records to append and maybe a checkpoint. */
export interface SealPlan {
  records: SealedRecordLike[];
  checkpoint: Checkpoint | null;
}

/** Structural twin of chain/hash SealedRecord (kept here so the store does not import the pipeline). */
export interface SealedRecordLike {
  record: AuditRecord;
  body: string;
}

export interface SealOutcome {
  /** Calls dropped because a record for (trace_id, span_id) is already in the trail (any chain). */
  duplicates: number;
  records: AuditRecord[];
  checkpointed: boolean;
}

/**
 * The write side the audit pipeline needs, the same for SQLite and PostgreSQL. Each call
 * is ONE transaction and the pipeline decides the batching for both: one inbox append per
 * group commit, one seal transaction per batch of paired calls. The pipeline keeps all
 * chain logic (pairing in memory, merging, hashing, when to checkpoint); the store only
 * moves rows.
 */
export interface TrailWriter {
  /** Appends one inbox entry (durably, before the exporters are acknowledged); returns its id. */
  appendInbox(payload: string): Promise<number>;
  /** This chain's inbox, oldest first: what was acknowledged but not yet sealed (read at start). */
  readInbox(): Promise<InboxEntry[]>;
  /**
   * One transaction: drops calls already in the trail of any chain, appends what
   * `plan(fresh, head, lastCheckpoint)` returns, and applies `inbox` (delete consumed
   * entries, note partly sealed ones).
   */
  sealCalls<C extends CallKey>(
    calls: readonly C[],
    plan: (fresh: C[], head: ChainHead, last: Checkpoint | null) => SealPlan,
    inbox: InboxProgress,
  ): Promise<SealOutcome>;
  /** One transaction: reads this chain's head and last checkpoint, stores what `sign` returns. */
  checkpointHead(sign: (head: ChainHead, last: Checkpoint | null) => Checkpoint | null): Promise<boolean>;
}

/** A store the audit pipeline can write to. */
export interface TrailStore extends AuditStore, TrailWriter {}
