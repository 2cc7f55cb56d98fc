/**
 * The record walk of `verify`: recomputes each record's chain hash and the RFC 6962 tree,
 * checks seq continuity, links and every checkpoint the walk passes, and classifies the
 * first anomaly. It runs over a range of seqs from a given state, so the same code walks a
 * whole chain (sequential verify) or one checkpoint segment in a worker thread (parallel
 * verify, ./verify-parallel.ts), and a segment's end state is the next one's start state.
 */
import { isUtf8 } from 'node:buffer';
import { type AuditStore, type Checkpoint, PACKED_GAP } from '../store/types';
import { chainRows, type RawRow } from './chain-rows';
import { GENESIS_HASH, chainHash, chainHashOfBytes } from './hash';
import { Frontier, writeLatin1 } from './merkle';
import type { VerifyProblem } from './verify';

/**
 * Rows per read. Small on purpose: a batch's bodies (about 1 KiB each) die young only when
 * the batch fits the young generation; 10,000 rows made GC a quarter of verify's CPU.
 */
export const SCAN_BATCH = 512;
/** Rows read after the first anomaly to tell reordering from deletion or insertion. */
const CLASSIFY_LOOKAHEAD = 1_000_000;

/** What the walk needs to know about one chain (read once, shared by every segment). */
export interface ChainEnv {
  chainId: string;
  /** The chain's checkpoints by seq. */
  bySeq: ReadonlyMap<number, Checkpoint>;
  /** Witnessed checkpoints of the chain by seq. */
  witnessedAt: ReadonlyMap<number, Checkpoint>;
  /** Seq of the newest checkpoint (0 without any). */
  newestCheckpointSeq: number;
}

/** Where the walk stands after the records it has seen. */
export interface WalkState {
  /** False until the first record (the chain's anchor is checked there). */
  started: boolean;
  records: number;
  firstSeq: number;
  lastSeq: number;
  /** The seq the next record must have. */
  expected: number;
  /** Chain hash the next record links to. */
  prevHash: string;
  tree: Frontier;
  /** Highest seq through which a valid checkpoint vouched for the chain walked. */
  vouchedThrough: number;
  /** Receive time of the first record after the newest checkpoint (sender's time for older records). */
  firstUncoveredAt: number | null;
  /** Every witnessed tree size the walk reached, in order, and whether the records' root matched it. */
  witnessChecks: Array<{ seq: number; match: boolean }>;
}

export function initialWalkState(): WalkState {
  return {
    started: false,
    records: 0,
    firstSeq: 0,
    lastSeq: 0,
    expected: 0,
    prevHash: GENESIS_HASH,
    tree: Frontier.empty(),
    vouchedThrough: 0,
    firstUncoveredAt: null,
    witnessChecks: [],
  };
}

/** The state at the start of the segment after checkpoint `cp`, as the checkpoint vouches for it (null: its frontier does not match its root). */
export function stateAtCheckpoint(cp: Checkpoint, firstSeq: number): WalkState | null {
  let tree: Frontier;
  try {
    tree = Frontier.from(cp.seq, cp.frontier);
  } catch {
    return null;
  }
  if (tree.rootHex() !== cp.root) return null;
  return { ...initialWalkState(), started: true, firstSeq, lastSeq: cp.seq, expected: cp.seq + 1, prevHash: cp.hash, tree, vouchedThrough: cp.seq };
}

/** Plain data for postMessage (the tree as its frontier). */
export interface WireWalkState extends Omit<WalkState, 'tree'> {
  tree: { size: number; frontier: string[] };
}

export function toWire(s: WalkState): WireWalkState {
  return { ...s, tree: { size: s.tree.size, frontier: s.tree.toHex() } };
}

export function fromWire(s: WireWalkState): WalkState {
  return { ...s, tree: Frontier.from(s.tree.size, s.tree.frontier) };
}

/** Two states the walk cannot tell apart (a segment's end and the next segment's assumed start). */
export function sameWalkPosition(a: WalkState, b: WalkState): boolean {
  if (a.expected !== b.expected || a.prevHash !== b.prevHash || a.tree.size !== b.tree.size || a.vouchedThrough !== b.vouchedThrough) return false;
  const x = a.tree.toHex();
  const y = b.tree.toHex();
  return x.length === y.length && x.every((h, i) => h === y[i]);
}

/** Fields read straight from the canonical text. Keys sorted and string values escaped make lastIndexOf find the top-level member. */
export function bodySeq(body: string): number {
  const at = body.lastIndexOf('"seq":');
  if (at < 0) return -1;
  let n = 0;
  let i = at + 6;
  for (; i < body.length; i++) {
    const c = body.charCodeAt(i) - 48;
    if (c < 0 || c > 9) break;
    n = n * 10 + c;
  }
  return i === at + 6 ? -1 : n;
}

/** received_time (the processor's clock) or, for records without it, time; NaN-safe. */
function recordTime(body: string): number | null {
  try {
    const r = JSON.parse(body) as { received_time?: unknown; time?: unknown };
    const t = Date.parse(String(r.received_time ?? r.time));
    return Number.isNaN(t) ? null : t;
  } catch {
    return null;
  }
}

function bodyPrevHash(body: string): string {
  const at = body.lastIndexOf('"prev_hash":"');
  return at < 0 ? '' : body.slice(at + 13, at + 13 + 64);
}

function bodyChainId(body: string): string {
  const at = body.lastIndexOf('"chain_id":"');
  if (at < 0) return '';
  const end = body.indexOf('"', at + 12);
  return end < 0 ? '' : body.slice(at + 12, end);
}

export function rangeText(from: number, to: number): string {
  return from === to ? `${from}` : `${from}..${to}`;
}

function anchorFor(firstSeq: number, bySeq: ReadonlyMap<number, Checkpoint>): { hash: string; checkpoint: Checkpoint | null; problem: VerifyProblem | null } {
  if (firstSeq === 1) return { hash: GENESIS_HASH, checkpoint: null, problem: null };
  const anchor = bySeq.get(firstSeq - 1);
  if (!anchor) {
    return {
      hash: '',
      checkpoint: null,
      problem: {
        kind: 'gap',
        seq: firstSeq - 1,
        detail: `the chain starts at seq ${firstSeq} but no checkpoint anchors seq ${firstSeq - 1}: records ${rangeText(1, firstSeq - 1)} were removed outside retention`,
      },
    };
  }
  return { hash: anchor.hash, checkpoint: anchor, problem: null };
}

/**
 * Walks the records with fromSeq <= seq <= throughSeq (null: to the end of the chain) from
 * `s`, updating it; returns the first problem (the walk stops there) or null.
 *
 * Two readers, one verdict: the packed walk (stores with packedRange) takes every record the
 * row walk's fast path would take, and only those; the row walk reads the chain's first record
 * (its anchor) and every record the packed walk did not take, exactly as it always has.
 */
export async function walkRecords(store: AuditStore, env: ChainEnv, s: WalkState, fromSeq: number, throughSeq: number | null): Promise<VerifyProblem | null> {
  if (!store.packedRange) return walkRows(store, env, s, fromSeq, throughSeq, Number.POSITIVE_INFINITY) as Promise<VerifyProblem | null>;
  let from = fromSeq;
  for (;;) {
    if (s.started) {
      const packed = await walkPacked(store, env, s, from, throughSeq);
      if (packed !== MORE) return packed;
      from = s.expected;
    }
    // The anchor record alone; after a record the packed walk did not take, a batch of rows.
    const rows = await walkRows(store, env, s, from, throughSeq, s.started ? SCAN_BATCH : 1);
    if (rows !== MORE) return rows;
    from = s.expected;
  }
}

/** A walk stopped before the end of its range without a verdict: the other reader goes on from s.expected. */
const MORE = Symbol('more');
type Step = VerifyProblem | null | typeof MORE;

/** Updates the walk for a record that passed the fast check (both readers; firstUncoveredAt is theirs to set); the checkpoint at its seq when it disagrees. */
function advance(env: ChainEnv, s: WalkState, seq: number, hash: string): Checkpoint | null {
  s.tree.pushRecord(hash);
  const cp = env.bySeq.get(seq);
  if (cp) {
    if (cp.hash !== hash || (cp.root && cp.root !== s.tree.rootHex())) return cp;
    s.vouchedThrough = seq;
  }
  checkWitness(env, s);
  s.prevHash = hash;
  s.expected++;
  return null;
}

function checkWitness(env: ChainEnv, s: WalkState): void {
  const w = env.witnessedAt.get(s.tree.size);
  if (w) s.witnessChecks.push({ seq: w.seq, match: w.root === s.tree.rootHex() });
}

/** The row walk: at most `limit` records from `fromSeq`, read as [seq, hash, body] rows. */
async function walkRows(store: AuditStore, env: ChainEnv, s: WalkState, fromSeq: number, throughSeq: number | null, limit: number): Promise<Step> {
  const { chainId, bySeq } = env;
  let walked = 0;
  for await (const batch of chainRows(store, chainId, fromSeq, throughSeq, Math.min(SCAN_BATCH, limit))) {
    for (const row of batch) {
      if (walked++ === limit) return MORE;
      const seq = row[0];
      const hash = row[1];
      const body = row[2];
      if (!s.started) {
        s.started = true;
        s.firstSeq = seq;
        const anchor = anchorFor(seq, bySeq);
        if (anchor.problem) return anchor.problem;
        s.expected = seq;
        s.prevHash = anchor.hash;
        s.vouchedThrough = seq - 1;
        if (anchor.checkpoint) {
          try {
            s.tree = Frontier.from(anchor.checkpoint.seq, anchor.checkpoint.frontier);
          } catch {
            s.tree = Frontier.empty();
          }
          if (s.tree.size !== anchor.checkpoint.seq || s.tree.rootHex() !== anchor.checkpoint.root) {
            return {
              kind: 'checkpoint_mismatch',
              seq: anchor.checkpoint.seq,
              detail: `the stored Merkle frontier of the retention anchor (checkpoint at seq ${anchor.checkpoint.seq}) does not match its signed root`,
            };
          }
        }
        checkWitness(env, s);
      }
      s.records++;
      s.lastSeq = seq;
      if (seq !== s.expected) {
        return seq > s.expected
          ? { kind: 'deleted', seq: s.expected, detail: `records ${rangeText(s.expected, seq - 1)} are missing: seq jumps from ${s.expected - 1} to ${seq}` }
          : { kind: 'inserted', seq, detail: `a second record claims seq ${seq}` };
      }
      // Fast path: hashed with the previous record's hash as prefix means linked and unmodified
      // (forging that needs recomputed hashes, which the checkpoints catch).
      if (chainHash(s.prevHash, body) === hash && bodySeq(body) === seq) {
        if (s.firstUncoveredAt === null && seq > env.newestCheckpointSeq) s.firstUncoveredAt = recordTime(body);
        const prevHash = s.prevHash;
        const cp = advance(env, s, seq, hash);
        if (cp) return checkpointMismatch(store, chainId, seq, cp, prevHash, s.vouchedThrough);
        continue;
      }
      return slowPathProblem(store, chainId, row, s);
    }
  }
  return walked > limit ? MORE : null;
}

/** Rows per packed read: the bodies are one Buffer outside the JS heap, so a large batch costs the collector nothing. */
const PACKED_BATCH = 1024;
const SEQ_KEY = Buffer.from('"seq":');
const HEX_HASH = /^[0-9a-f]{64}$/;

/**
 * The packed walk: takes records while each passes the row walk's fast path over the same
 * bytes (its stored seq is the next one, SHA-256(previous hash || stored body bytes) is its
 * stored hash, and its body's seq is its seq), updating `s` as the row walk would. Stops
 * before the first record it does not take, or at a batch it cannot read as packed (a value
 * the packing cannot hold, bytes that are not UTF-8), and hands over to the row walk: MORE.
 */
async function walkPacked(store: AuditStore, env: ChainEnv, s: WalkState, fromSeq: number, throughSeq: number | null): Promise<Step> {
  const through = throughSeq ?? Number.MAX_SAFE_INTEGER;
  let from = fromSeq;
  while (from <= through) {
    const batch = readPacked(store, env.chainId, from, through);
    if (!batch) return MORE;
    const { seqs, hashes, lengths, bodies } = batch;
    if (seqs.length === 0) return null;
    // The first body's gap takes the previous hash: hex, so its latin1 bytes are its UTF-8 ones.
    // Every later body follows the hash of the record before it, which the walk took only if it is prevHash.
    if (!HEX_HASH.test(s.prevHash)) return MORE;
    writeLatin1(bodies, s.prevHash, 0);
    let at = PACKED_GAP;
    for (let i = 0; i < seqs.length; i++) {
      const seq = seqs[i];
      const hash = hashes[i];
      const start = at;
      const end = start + lengths[i]!;
      at = end + PACKED_GAP;
      if (seq !== s.expected || typeof hash !== 'string') return MORE;
      if (chainHashOfBytes(bodies.subarray(start - PACKED_GAP, end)) !== hash || bytesSeq(bodies, start, end) !== seq) return MORE;
      s.records++;
      s.lastSeq = seq;
      if (s.firstUncoveredAt === null && seq > env.newestCheckpointSeq) s.firstUncoveredAt = recordTime(bodies.toString('utf8', start, end));
      const prevHash = s.prevHash;
      const cp = advance(env, s, seq, hash);
      if (cp) return checkpointMismatch(store, env.chainId, seq, cp, prevHash, s.vouchedThrough);
    }
    if (seqs.length < PACKED_BATCH) return null;
    from = s.expected;
  }
  return null;
}

/** One packed batch, checked for shape (null: read these rows as rows). */
function readPacked(store: AuditStore, chainId: string, from: number, through: number): { seqs: unknown[]; hashes: unknown[]; lengths: number[]; bodies: Buffer } | null {
  let seqs: unknown;
  let hashes: unknown;
  let lengths: unknown;
  let bodies: Buffer | null;
  try {
    const packed = store.packedRange!(chainId, from, through, PACKED_BATCH);
    seqs = JSON.parse(packed.seqs);
    hashes = JSON.parse(packed.hashes);
    lengths = JSON.parse(packed.lengths);
    bodies = packed.bodies;
  } catch {
    return null;
  }
  if (!Array.isArray(seqs) || !Array.isArray(hashes) || !Array.isArray(lengths) || hashes.length !== seqs.length || lengths.length !== seqs.length) return null;
  if (seqs.length === 0) return { seqs, hashes, lengths, bodies: Buffer.alloc(0) };
  if (!Buffer.isBuffer(bodies)) return null;
  let total = PACKED_GAP;
  for (const n of lengths) {
    if (!Number.isInteger(n) || n < 0) return null;
    total += (n as number) + PACKED_GAP;
  }
  // Every body accounted for, and each decodes to the text the row walk would hash.
  if (total !== bodies.length || !isUtf8(bodies)) return null;
  return { seqs, hashes, lengths: lengths as number[], bodies };
}

/** bodySeq over a body's UTF-8 bytes: ASCII never occurs inside a multi-byte character, so the same member is found. */
function bytesSeq(bytes: Buffer, start: number, end: number): number {
  const at = end - SEQ_KEY.length < start ? -1 : bytes.lastIndexOf(SEQ_KEY, end - SEQ_KEY.length);
  if (at < start) return -1;
  let n = 0;
  let i = at + SEQ_KEY.length;
  for (; i < end; i++) {
    const c = bytes[i]! - 48;
    if (c < 0 || c > 9) break;
    n = n * 10 + c;
  }
  return i === at + SEQ_KEY.length ? -1 : n;
}

/** The record failed the fast path: what kind of tampering it is. */
async function slowPathProblem(store: AuditStore, chainId: string, row: RawRow, s: WalkState): Promise<VerifyProblem> {
  const [seq, hash, body] = row;
  const claimedSeq = bodySeq(body);
  const linkedTo = bodyPrevHash(body);
  if (chainHash(linkedTo, body) !== hash) return classifyBroken(store, chainId, seq, s.prevHash);
  if (claimedSeq !== seq) return classifyMoved(store, chainId, seq, claimedSeq);
  if (bodyChainId(body) !== chainId) {
    return { kind: 'inserted', seq, detail: `record at seq ${seq} belongs to chain '${bodyChainId(body)}', not '${chainId}'` };
  }
  if (linkedTo !== s.prevHash) {
    return s.vouchedThrough >= seq - 1 || seq - 1 < s.firstSeq
      ? { kind: 'inserted', seq, detail: `record at seq ${seq} does not link to the (checkpoint-verified) record before it` }
      : { kind: 'modified', seq: seq - 1, detail: `record at seq ${seq - 1} was rewritten (its hash was recomputed): record ${seq} links to a different hash` };
  }
  // Self-consistent and linked as its own body says, yet not by the running chain hash:
  // the body's prev_hash field disagrees with the record before it.
  return { kind: 'modified', seq, detail: `record at seq ${seq} was re-hashed over a different predecessor` };
}

/**
 * The first witnessed size the records disagree with, as the `inconsistent` problem (the
 * sizes before it that matched are named in its detail); null when every one matched.
 */
export function witnessProblemOf(checks: ReadonlyArray<{ seq: number; match: boolean }>, witnessedAt: ReadonlyMap<number, Checkpoint>): VerifyProblem | null {
  let consistentThrough: number | null = null;
  for (const c of checks) {
    if (c.match) {
      consistentThrough = c.seq;
      continue;
    }
    const w = witnessedAt.get(c.seq)!;
    return {
      kind: 'inconsistent',
      seq: w.seq,
      detail:
        `records ${rangeText((consistentThrough ?? 0) + 1, w.seq)} differ from what the witness saw (checkpoint at seq ${w.seq}, ${w.time}): ` +
        `history the witness holds was rewritten${consistentThrough === null ? '' : `; records 1..${consistentThrough} match`}`,
    };
  }
  return null;
}

async function checkpointMismatch(store: AuditStore, chainId: string, seq: number, cp: Checkpoint, prevHash: string, vouchedThrough: number): Promise<VerifyProblem> {
  const next = await nextRow(store, chainId, seq);
  if (next && next.claimedSeq === seq && next.linkedTo === prevHash) {
    return { kind: 'inserted', seq, detail: `record at seq ${seq} is not the one the checkpoint signed: it was inserted before the original` };
  }
  return {
    kind: 'checkpoint_mismatch',
    seq,
    detail: `the chain through seq ${seq} differs from the checkpoint signed at ${cp.time}: records after seq ${vouchedThrough} were rewritten`,
  };
}

interface Peek {
  seq: number;
  claimedSeq: number;
  linkedTo: string;
}

/** The stored row after `seq`, as the chain sees it. */
async function nextRow(store: AuditStore, chainId: string, seq: number): Promise<Peek | null> {
  for await (const batch of chainRows(store, chainId, seq + 1, null, 1)) {
    const r = batch[0];
    if (r) return { seq: r[0], claimedSeq: bodySeq(r[2]), linkedTo: bodyPrevHash(r[2]) };
  }
  return null;
}

/** Where the record hashed as `claimed` is stored, searching forward from `fromSeq` (bounded). */
async function findClaimed(store: AuditStore, chainId: string, fromSeq: number, claimed: number): Promise<number | null> {
  let seen = 0;
  for await (const batch of chainRows(store, chainId, fromSeq, null, SCAN_BATCH)) {
    for (const r of batch) {
      if (bodySeq(r[2]) === claimed) return r[0];
      if (++seen >= CLASSIFY_LOOKAHEAD) return null;
    }
  }
  return null;
}

/** The row's own hash is wrong: a junk row inserted in place (the next row still links past it), or a modified row. */
async function classifyBroken(store: AuditStore, chainId: string, seq: number, prevHash: string): Promise<VerifyProblem> {
  const next = await nextRow(store, chainId, seq);
  if (next && next.claimedSeq === seq && next.linkedTo === prevHash) {
    return { kind: 'inserted', seq, detail: `record at seq ${seq} is not part of the chain: the record after it links to seq ${seq - 1}` };
  }
  return { kind: 'modified', seq, detail: `record at seq ${seq} does not match its hash: its content or hash was changed` };
}

/** The row sits at `seq` but was hashed as `claimedSeq`. */
async function classifyMoved(store: AuditStore, chainId: string, seq: number, claimedSeq: number): Promise<VerifyProblem> {
  if (claimedSeq < 0) return { kind: 'modified', seq, detail: `record at seq ${seq} has no seq in its hashed content` };
  if (claimedSeq < seq) {
    return {
      kind: 'inserted',
      seq: claimedSeq,
      detail: `record stored at seq ${seq} was hashed as seq ${claimedSeq}: ${seq - claimedSeq} record(s) were inserted from seq ${claimedSeq}`,
    };
  }
  const home = await findClaimed(store, chainId, seq + 1, seq);
  if (home !== null) {
    return {
      kind: 'reordered',
      seq,
      detail: `records were reordered: record ${seq} is stored at seq ${home} and record ${claimedSeq} at seq ${seq}`,
    };
  }
  return {
    kind: 'deleted',
    seq,
    detail: `records ${rangeText(seq, claimedSeq - 1)} were deleted and the rest renumbered: record stored at seq ${seq} was hashed as seq ${claimedSeq}`,
  };
}
