import type { AuditOutcome, AuditRecord } from '@mcptrail/conventions';
import type { CountQuery, CountRow } from './aggregate';
import type { TrailRollup } from './rollup-types';

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

/**
 * A signed checkpoint of one chain: a C2SP tlog-checkpoint note (chain/checkpoint.ts) over
 * the RFC 6962 tree of records 1..seq, naming the previous checkpoint (so none can be
 * dropped) and the head of the chain's alert history.
 */
export interface Checkpoint {
  chain_id: string;
  /** Tree size: records 1..seq are covered. 0 is the genesis checkpoint signed when the chain is created. */
  seq: number;
  /** Chain hash of record `seq` (GENESIS_HASH at 0). */
  hash: string;
  /** ISO 8601: when the checkpoint was signed. */
  time: string;
  /** The note's origin line (and signing key name). */
  origin: string;
  /** hex RFC 6962 Merkle root of records 1..seq. */
  root: string;
  /** hex SHA-256 of the previous checkpoint's note text; GENESIS_HASH for the first. */
  prev: string;
  /** Alert events 1..alerts_seq of this chain are covered; alerts_hash is the chain hash of the last. */
  alerts_seq: number;
  alerts_hash: string;
  /** The tree's compact range at seq (hex subtree roots, largest first): not signed, checked against `root`. */
  frontier: string[];
  /** Base64 Ed25519 signature over the note text. */
  signature: string;
  /** Fingerprint of the public key that signed it. */
  key_id: string;
}

/** What signing the next checkpoint needs, read inside the transaction that stores it. */
export interface CheckpointState {
  head: ChainHead;
  last: Checkpoint | null;
  /** Chain hashes of records last.seq+1 .. head.seq, in order. */
  leaves: string[];
  /** Head of the chain's alert events. */
  alerts: ChainHead;
}

/** A change in an alert's life, appended to the chain's alert history (and covered by the next checkpoint). */
export interface AlertEventInput {
  event: 'raised' | 'acknowledged' | 'resolved';
  alert_id: string;
  rule_id: string;
  /** ISO 8601 when it happened. */
  time: string;
  level?: string | null;
  /** Who acknowledged or resolved it (a console user), null for the detector. */
  actor?: string | null;
  summary?: string | null;
  /** Evidence as `chain#seq` references. */
  evidence?: string[];
}

/** A stored alert event: hash = SHA-256(prev_hash ‖ body), body = canonical JSON without `hash`. */
export interface AlertEvent extends Required<AlertEventInput> {
  chain_id: string;
  seq: number;
  prev_hash: string;
  hash: string;
}

/** One stored record as verify reads it. */
export type RawRow = [seq: number, hash: string, body: string];

/** Length of a chain hash in hex: the gap before each body in PackedRows.bodies. */
export const PACKED_GAP = 64;

/**
 * Rows of one chain as verify's fast walk reads them: one query, no JS value per body.
 * Unchecked as read: `seqs`, `hashes` and `lengths` are the JSON arrays of the columns (seq,
 * hash, and the body's stored byte length) in seq order; `bodies` is PACKED_GAP filler bytes,
 * then for each row in the same order its body's stored bytes and its hash's (null without rows):
 * the bytes before a body are the previous record's hash, the prefix its chain hash covers.
 */
export interface PackedRows {
  seqs: string;
  hashes: string;
  lengths: string;
  bodies: Buffer | null;
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
  /**
   * Rows of one chain with fromSeq <= seq <= throughSeq, in seq order, at most `limit`, as `[seq, hash, body]`
   * tuples: no row object per record, a measurable share of verify's cost at a million records. Only stores that
   * read synchronously and cheaply offer it (SQLite); verify falls back to `scan` elsewhere.
   */
  rawRange?(chainId: string, fromSeq: number, throughSeq: number, limit: number): RawRow[];
  /** The same rows as rawRange, packed (see PackedRows); may throw on values the packing cannot hold (verify then reads them with rawRange). */
  packedRange?(chainId: string, fromSeq: number, throughSeq: number, limit: number): PackedRows;
  /** (seq, hash) of one chain in seq order, in batches: the Merkle leaves, without the bodies (proofs). */
  scanHashes(opts: { chainId: string; fromSeq?: number; batchSize?: number }): AsyncIterable<Array<{ seq: number; hash: string }>>;
  /** Checkpoints of one chain, oldest first. */
  checkpoints(chainId: string): Promise<Checkpoint[]>;
  /**
   * Retention: deletes records with seq <= `seq`, checkpoints before `seq` (the one at `seq`
   * stays as the anchor) and the alert events that anchor covers.
   */
  purgeThrough(chainId: string, seq: number): Promise<{ purged: number }>;
  /** Raw alert events of one chain in seq order, as stored (body = the hashed canonical text). */
  alertEvents(chainId: string): Promise<StoredRow[]>;
  close(): Promise<void>;

  // --- console read side (src/console): aggregation in the database, see ./aggregate.ts ---
  /** Counts of records matching `q.where`, grouped by `q.by` (GROUP BY in the database). */
  countBy(q: CountQuery): Promise<CountRow[]>;
  /** Pre-aggregated counts of the trail (./rollup-sql.ts), kept by sequence number. */
  rollup(): TrailRollup;
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

/**
 * How stores before SQLite schema 5 / PostgreSQL schema 4 marked an inbox entry that is a
 * slice of a group commit still being appended (in `done`). Open slices are now listed in
 * `audit_inbox_open`; readInbox deletes both kinds (their exporters retry, and a keyless draft
 * must not be sealed from them and from the retry).
 */
export const INBOX_OPEN = '{"open":true}';

/** Where an append stands in a group commit written as several entries. */
export type InboxGroupStep = { open: true } | { closes: readonly number[] };

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

/** Signs a checkpoint from the state read in the transaction; null: nothing to sign. */
export type CheckpointSigning = (state: CheckpointState) => Checkpoint | null;

/** What the pipeline decided for one seal transaction: the records to append and maybe a checkpoint after them. */
export interface SealPlan {
  records: SealedRecordLike[];
  checkpoint: CheckpointSigning | null;
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
  /**
   * Appends one inbox entry (durably, before the exporters are acknowledged); returns its id.
   * `{ open: true }`: a slice of a group commit not complete yet (listed in `audit_inbox_open`);
   * `{ closes }`: the last slice, which deletes the marks of the earlier ones in its transaction
   * (a few small rows: the open entries' payloads are not rewritten).
   */
  appendInbox(payload: string, group?: InboxGroupStep): Promise<number>;
  /**
   * Optional: from now on this store's inbox appends and discards run on a thread of its own
   * with its own connection (SQLite: the commit's fsync and lock waits leave the event loop).
   */
  writeInboxOffThread?(): void;
  /** Deletes entries of a group commit that could not be completed (nothing of it was acknowledged). */
  discardInbox(ids: readonly number[]): Promise<void>;
  /**
   * This chain's inbox, oldest first: what was acknowledged but not yet sealed (read at
   * start). Entries still open (or marked `INBOX_OPEN` by an older store) are deleted first and not returned.
   */
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
  /** One transaction: reads this chain's checkpoint state, stores what `sign` returns. */
  checkpointHead(sign: CheckpointSigning): Promise<boolean>;
  /** One transaction: appends alert events to this chain's alert history, chained. */
  appendAlertEvents(events: readonly AlertEventInput[]): Promise<AlertEvent[]>;
}

/** A store the audit pipeline can write to. */
export interface TrailStore extends AuditStore, TrailWriter {}
