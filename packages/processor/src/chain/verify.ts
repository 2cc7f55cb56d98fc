import type { KeyObject } from 'node:crypto';
import type { AuditStore, Checkpoint, StoredRow } from '../store/types';
import { GENESIS_HASH, chainHash } from './hash';
import { checkpointSignatureValid, publicKeyId, toPublicKey } from './signing';

export type VerifyProblemKind =
  | 'modified'
  | 'deleted'
  | 'inserted'
  | 'reordered'
  | 'checkpoint_forged'
  | 'checkpoint_mismatch'
  | 'gap';

export interface VerifyProblem {
  kind: VerifyProblemKind;
  seq: number;
  detail: string;
}

export interface ChainReport {
  chain_id: string;
  records: number;
  first_seq: number;
  last_seq: number;
  checkpoints: number;
  ok: boolean;
  problem: VerifyProblem | null;
}

export interface VerifyReport {
  ok: boolean;
  records: number;
  chains: ChainReport[];
}

const SCAN_BATCH = 10_000;
/** Rows read after the first anomaly to tell reordering from deletion or insertion. */
const CLASSIFY_LOOKAHEAD = 1_000_000;

/**
 * Walks every chain from its anchor (genesis, or the retention checkpoint before the
 * first retained record), recomputing each hash from the stored canonical text, and
 * checks seq continuity, links, checkpoint signatures and that each checkpoint's hash is
 * the hash of the record at its seq. Reports the first problem of each chain.
 *
 * Limit (inherent to hash chains, as with CloudTrail digests): records appended after
 * the newest checkpoint by someone who can recompute hashes are only caught by the next
 * checkpoint; the pipeline signs one at least every `checkpointEvery.seconds` and at close.
 */
export async function verifyTrail(store: AuditStore, publicKey: KeyObject | string | ReadonlyArray<KeyObject | string>): Promise<VerifyReport> {
  // Several keys: replicas of one PostgreSQL trail that each sign with their own key.
  const keys = new Map<string, KeyObject>();
  for (const k of Array.isArray(publicKey) ? publicKey : [publicKey as KeyObject | string]) {
    const key = toPublicKey(k);
    keys.set(publicKeyId(key), key);
  }
  const chains: ChainReport[] = [];
  for (const chainId of await store.chains()) chains.push(await verifyChain(store, chainId, keys));
  return { ok: chains.every((c) => c.ok), records: chains.reduce((n, c) => n + c.records, 0), chains };
}

/** key_id picks one of the trusted keys (it is not signed: a wrong one just fails the signature). */
function signedByTrustedKey(cp: Checkpoint, keys: ReadonlyMap<string, KeyObject>): boolean {
  const named = keys.get(cp.key_id);
  return named !== undefined && checkpointSignatureValid(cp, named);
}

/** Fields read straight from the canonical text. Keys sorted and string values escaped make lastIndexOf find the top-level member. */
function bodySeq(body: string): number {
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

async function verifyChain(store: AuditStore, chainId: string, keys: ReadonlyMap<string, KeyObject>): Promise<ChainReport> {
  const cps = await store.checkpoints(chainId);
  const bySeq = new Map<number, Checkpoint>();
  let forged: VerifyProblem | null = null;
  for (const cp of cps) {
    bySeq.set(cp.seq, cp);
    if (!forged && (cp.chain_id !== chainId || !signedByTrustedKey(cp, keys))) {
      forged = {
        kind: 'checkpoint_forged',
        seq: cp.seq,
        detail: `checkpoint at seq ${cp.seq} (key ${cp.key_id}, ${cp.time}) has no valid signature from the verification key`,
      };
    }
  }
  const report: ChainReport = { chain_id: chainId, records: 0, first_seq: 0, last_seq: 0, checkpoints: cps.length, ok: true, problem: null };
  let problem: VerifyProblem | null = null;
  let expected = 0;
  let prevHash = GENESIS_HASH;
  /** Highest seq through which a valid checkpoint vouched for the chain we walked. */
  let vouchedThrough = 0;

  walk: for await (const batch of store.scan({ chainId, batchSize: SCAN_BATCH })) {
    for (const row of batch) {
      if (report.records === 0) {
        report.first_seq = row.seq;
        const anchor = anchorFor(row.seq, bySeq);
        if (anchor.problem) {
          problem = anchor.problem;
          break walk;
        }
        expected = row.seq;
        prevHash = anchor.hash;
        vouchedThrough = row.seq - 1;
      }
      report.records++;
      report.last_seq = row.seq;
      if (row.seq !== expected) {
        problem =
          row.seq > expected
            ? { kind: 'deleted', seq: expected, detail: `records ${rangeText(expected, row.seq - 1)} are missing: seq jumps from ${expected - 1} to ${row.seq}` }
            : { kind: 'inserted', seq: row.seq, detail: `a second record claims seq ${row.seq}` };
        break walk;
      }
      const body = row.body;
      const claimedSeq = bodySeq(body);
      // Fast path: hashed with the previous record's hash as prefix means linked and unmodified
      // (forging that needs recomputed hashes, which the checkpoints catch).
      if (chainHash(prevHash, body) === row.hash && claimedSeq === row.seq) {
        const cp = bySeq.get(row.seq);
        if (cp) {
          if (cp.hash !== row.hash) {
            problem = await checkpointMismatch(store, chainId, row, cp, prevHash, vouchedThrough);
            break walk;
          }
          vouchedThrough = row.seq;
        }
        prevHash = row.hash;
        expected++;
        continue;
      }
      const linkedTo = bodyPrevHash(body);
      if (chainHash(linkedTo, body) !== row.hash) {
        problem = await classifyBroken(store, chainId, row, prevHash);
        break walk;
      }
      if (claimedSeq !== row.seq) {
        problem = await classifyMoved(store, chainId, row.seq, claimedSeq);
        break walk;
      }
      if (bodyChainId(body) !== chainId) {
        problem = { kind: 'inserted', seq: row.seq, detail: `record at seq ${row.seq} belongs to chain '${bodyChainId(body)}', not '${chainId}'` };
        break walk;
      }
      if (linkedTo !== prevHash) {
        problem =
          vouchedThrough >= row.seq - 1 || row.seq - 1 < report.first_seq
            ? { kind: 'inserted', seq: row.seq, detail: `record at seq ${row.seq} does not link to the (checkpoint-verified) record before it` }
            : {
                kind: 'modified',
                seq: row.seq - 1,
                detail: `record at seq ${row.seq - 1} was rewritten (its hash was recomputed): record ${row.seq} links to a different hash`,
              };
        break walk;
      }
      // Self-consistent and linked as its own body says, yet not by the running chain hash:
      // the body's prev_hash field disagrees with the record before it.
      problem = { kind: 'modified', seq: row.seq, detail: `record at seq ${row.seq} was re-hashed over a different predecessor` };
      break walk;
    }
  }
  if (!problem) problem = tailProblem(report, bySeq, expected);
  if (forged && (!problem || forged.seq < problem.seq)) problem = forged;
  report.problem = problem;
  report.ok = problem === null;
  return report;
}

async function checkpointMismatch(
  store: AuditStore,
  chainId: string,
  row: StoredRow,
  cp: Checkpoint,
  prevHash: string,
  vouchedThrough: number,
): Promise<VerifyProblem> {
  const next = await nextRow(store, chainId, row.seq);
  if (next && next.claimedSeq === row.seq && next.linkedTo === prevHash) {
    return { kind: 'inserted', seq: row.seq, detail: `record at seq ${row.seq} is not the one the checkpoint signed: it was inserted before the original` };
  }
  return {
    kind: 'checkpoint_mismatch',
    seq: row.seq,
    detail: `the chain through seq ${row.seq} differs from the checkpoint signed at ${cp.time}: records after seq ${vouchedThrough} were rewritten`,
  };
}

function anchorFor(firstSeq: number, bySeq: Map<number, Checkpoint>): { hash: string; problem: VerifyProblem | null } {
  if (firstSeq === 1) return { hash: GENESIS_HASH, problem: null };
  const anchor = bySeq.get(firstSeq - 1);
  if (!anchor) {
    return {
      hash: '',
      problem: {
        kind: 'gap',
        seq: firstSeq - 1,
        detail: `the chain starts at seq ${firstSeq} but no checkpoint anchors seq ${firstSeq - 1}: records ${rangeText(1, firstSeq - 1)} were removed outside retention`,
      },
    };
  }
  return { hash: anchor.hash, problem: null };
}

function tailProblem(report: ChainReport, bySeq: Map<number, Checkpoint>, nextSeq: number): VerifyProblem | null {
  let beyond: Checkpoint | null = null;
  for (const cp of bySeq.values()) if (cp.seq >= nextSeq && (!beyond || cp.seq > beyond.seq)) beyond = cp;
  if (!beyond) return null;
  if (report.records === 0) {
    // A checkpoint is kept as the anchor after retention purged every record it covered.
    if (bySeq.size === 1) return null;
    nextSeq = Math.min(...bySeq.keys()) + 1;
  }
  return {
    kind: 'deleted',
    seq: nextSeq,
    detail: `checkpoint at seq ${beyond.seq} vouches for records the store no longer has: records ${rangeText(nextSeq, beyond.seq)} were deleted`,
  };
}

function rangeText(from: number, to: number): string {
  return from === to ? `${from}` : `${from}..${to}`;
}

interface Peek {
  seq: number;
  claimedSeq: number;
  linkedTo: string;
}

/** The stored row after `seq`, as the chain sees it. */
async function nextRow(store: AuditStore, chainId: string, seq: number): Promise<Peek | null> {
  for await (const batch of store.scan({ chainId, fromSeq: seq + 1, batchSize: 1 })) {
    const r = batch[0];
    if (r) return { seq: r.seq, claimedSeq: bodySeq(r.body), linkedTo: bodyPrevHash(r.body) };
  }
  return null;
}

/** Where the record hashed as `claimed` is stored, searching forward from `fromSeq` (bounded). */
async function findClaimed(store: AuditStore, chainId: string, fromSeq: number, claimed: number): Promise<number | null> {
  let seen = 0;
  for await (const batch of store.scan({ chainId, fromSeq, batchSize: SCAN_BATCH })) {
    for (const r of batch) {
      if (bodySeq(r.body) === claimed) return r.seq;
      if (++seen >= CLASSIFY_LOOKAHEAD) return null;
    }
  }
  return null;
}

/** The row's own hash is wrong: a junk row inserted in place (the next row still links past it), or a modified row. */
async function classifyBroken(store: AuditStore, chainId: string, row: StoredRow, prevHash: string): Promise<VerifyProblem> {
  const next = await nextRow(store, chainId, row.seq);
  if (next && next.claimedSeq === row.seq && next.linkedTo === prevHash) {
    return { kind: 'inserted', seq: row.seq, detail: `record at seq ${row.seq} is not part of the chain: the record after it links to seq ${row.seq - 1}` };
  }
  return { kind: 'modified', seq: row.seq, detail: `record at seq ${row.seq} does not match its hash: its content or hash was changed` };
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
