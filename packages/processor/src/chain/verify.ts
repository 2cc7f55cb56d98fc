import type { KeyObject } from 'node:crypto';
import type { AuditStore, Checkpoint, StoredRow } from '../store/types';
import { verifyAlertHistory } from './alert-verify';
import { checkpointDigest, checkpointSignatureValid } from './checkpoint';
import { GENESIS_HASH, chainHash } from './hash';
import { Frontier, leafHash } from './merkle';
import { publicKeyId, toPublicKey } from './signing';

export type VerifyProblemKind =
  | 'modified'
  | 'deleted'
  | 'inserted'
  | 'reordered'
  | 'checkpoint_forged'
  | 'checkpoint_mismatch'
  | 'checkpoint_missing'
  | 'checkpoint_reordered'
  | 'gap'
  | 'uncovered'
  | 'empty'
  | 'truncated'
  | 'inconsistent'
  | 'alert_modified'
  | 'alert_deleted';

export interface VerifyProblem {
  kind: VerifyProblemKind;
  /** Record seq (tree size for checkpoints; alert event seq for alert_* kinds). */
  seq: number;
  detail: string;
}

export interface ChainReport {
  chain_id: string;
  records: number;
  first_seq: number;
  last_seq: number;
  checkpoints: number;
  /** Seq of the newest checkpoint, null when there is none. */
  last_checkpoint_seq: number | null;
  alert_events: number;
  /** Checkpoints of this chain the witness holds, and the newest of them (null without a witness). */
  witnessed: { checkpoints: number; seq: number | null } | null;
  ok: boolean;
  problem: VerifyProblem | null;
  /** Every problem found (the first per kind of check); `problem` is the earliest. */
  problems: VerifyProblem[];
}

export interface VerifyReport {
  ok: boolean;
  records: number;
  chains: ChainReport[];
}

export interface VerifyOptions {
  /**
   * Chains that must exist (the verifier's own chain from its configuration): a missing one
   * is reported `empty` rather than silently skipped.
   */
  chains?: readonly string[];
  /**
   * Checkpoints known from outside the store (a witness), signature-checked by the caller or
   * not: each must be signed by a trusted key, and the store must be consistent with it.
   */
  witnessed?: ReadonlyArray<Checkpoint>;
  /** The store must reach at least this size (per chain id). */
  expectSize?: ReadonlyMap<string, number>;
  /** Records older than this and after the newest checkpoint that is itself older than this are `uncovered`. Default 10 minutes. */
  maxUncoveredMs?: number;
  /** Default Date.now(). */
  now?: number;
}

export const DEFAULT_MAX_UNCOVERED_MS = 600_000;
const SCAN_BATCH = 10_000;
/** Rows read after the first anomaly to tell reordering from deletion or insertion. */
const CLASSIFY_LOOKAHEAD = 1_000_000;

/**
 * Walks every chain from its anchor (genesis, or the retention checkpoint before the first
 * retained record), recomputing each hash from the stored canonical text and the RFC 6962
 * tree over the records, and checks seq continuity, links, that the checkpoints form one
 * signed chain (each names its predecessor; the first is the genesis or retention anchor),
 * that each checkpoint's chain hash and Merkle root match the records, that no record stays
 * uncovered longer than the checkpoint interval allows, that the alert history matches the
 * checkpoints, and that the store is consistent with every witnessed checkpoint and reaches
 * as far as the newest. Reports the first problem of each chain.
 *
 * Limit (inherent, as with CloudTrail digests and CT logs): records after the newest
 * witnessed checkpoint, rewritten by someone who holds the signing key, are only caught
 * once a witness has seen a later checkpoint.
 */
export async function verifyTrail(
  store: AuditStore,
  publicKey: KeyObject | string | ReadonlyArray<KeyObject | string>,
  opts: VerifyOptions = {},
): Promise<VerifyReport> {
  // Several keys: replicas of one PostgreSQL trail that each sign with their own key.
  const keys = new Map<string, KeyObject>();
  for (const k of Array.isArray(publicKey) ? publicKey : [publicKey as KeyObject | string]) {
    const key = toPublicKey(k);
    keys.set(publicKeyId(key), key);
  }
  const ids = new Set(await store.chains());
  for (const id of opts.chains ?? []) ids.add(id);
  for (const cp of opts.witnessed ?? []) ids.add(cp.chain_id);
  for (const id of opts.expectSize?.keys() ?? []) ids.add(id);
  const ctx: ChainContext = {
    keys,
    now: opts.now ?? Date.now(),
    maxUncoveredMs: opts.maxUncoveredMs ?? DEFAULT_MAX_UNCOVERED_MS,
    witnessed: opts.witnessed ?? [],
    expectSize: opts.expectSize ?? new Map(),
    witnessGiven: opts.witnessed !== undefined,
  };
  const chains: ChainReport[] = [];
  for (const chainId of [...ids].sort()) chains.push(await verifyChain(store, chainId, ctx));
  return { ok: chains.every((c) => c.ok), records: chains.reduce((n, c) => n + c.records, 0), chains };
}

interface ChainContext {
  keys: ReadonlyMap<string, KeyObject>;
  now: number;
  maxUncoveredMs: number;
  witnessed: ReadonlyArray<Checkpoint>;
  witnessGiven: boolean;
  expectSize: ReadonlyMap<string, number>;
}

/** key_id picks one of the trusted keys (it is not signed: a wrong one just fails the signature). */
function signedByTrustedKey(cp: Checkpoint, keys: ReadonlyMap<string, KeyObject>): boolean {
  const named = keys.get(cp.key_id);
  if (named) return checkpointSignatureValid(cp, named);
  for (const key of keys.values()) if (checkpointSignatureValid(cp, key)) return true;
  return false;
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

/**
 * The checkpoints must form one chain: signed by a trusted key, each naming its predecessor,
 * seq strictly and time monotonically increasing; the first is the genesis (seq 0) unless
 * retention purged the records before it (then it anchors the first retained record).
 */
function checkpointChainProblem(chainId: string, cps: readonly Checkpoint[], firstRecordSeq: number | null, keys: ReadonlyMap<string, KeyObject>): VerifyProblem | null {
  const digests = new Map<string, Checkpoint>();
  for (const cp of cps) if (cp.root) digests.set(checkpointDigest(cp), cp);
  for (let i = 0; i < cps.length; i++) {
    const cp = cps[i]!;
    if (!cp.root) {
      return { kind: 'checkpoint_forged', seq: cp.seq, detail: `checkpoint at seq ${cp.seq} predates checkpoint notes (schema 1) and is not chained` };
    }
    if (cp.chain_id !== chainId || !signedByTrustedKey(cp, keys)) {
      // Signed, but for another position: a checkpoint moved or copied to where it does not belong.
      const signedFor = cps.find((other) => other.seq !== cp.seq && signedByTrustedKey({ ...cp, seq: other.seq }, keys));
      if (cp.chain_id === chainId && signedFor) {
        return {
          kind: 'checkpoint_reordered',
          seq: cp.seq,
          detail: `the checkpoint stored at seq ${cp.seq} was signed for seq ${signedFor.seq}: checkpoints were reordered or duplicated`,
        };
      }
      return {
        kind: 'checkpoint_forged',
        seq: cp.seq,
        detail: `checkpoint at seq ${cp.seq} (key ${cp.key_id}, ${cp.time}) has no valid signature from the verification key`,
      };
    }
    if (i === 0) {
      const anchorsRetention = firstRecordSeq !== null && firstRecordSeq > 1 && cp.seq === firstRecordSeq - 1;
      const anchorsPurgedAll = firstRecordSeq === null && cp.seq > 0 && cps.length === 1;
      if (!anchorsRetention && !anchorsPurgedAll && (cp.seq !== 0 || cp.prev !== GENESIS_HASH)) {
        return {
          kind: 'checkpoint_missing',
          seq: 0,
          detail: `the genesis checkpoint (seq 0) is missing: the oldest checkpoint is at seq ${cp.seq}; checkpoints before it were deleted`,
        };
      }
      continue;
    }
    const before = cps[i - 1]!;
    if (cp.prev !== checkpointDigest(before)) {
      const named = digests.get(cp.prev);
      if (named && named.seq > cp.seq) {
        return {
          kind: 'checkpoint_reordered',
          seq: cp.seq,
          detail: `checkpoint at seq ${cp.seq} names the checkpoint at seq ${named.seq} as its predecessor: checkpoints were reordered`,
        };
      }
      return {
        kind: 'checkpoint_missing',
        seq: cp.seq,
        detail: `checkpoint at seq ${cp.seq} does not name the checkpoint at seq ${before.seq} as its predecessor: a checkpoint between them was deleted (or replaced)`,
      };
    }
    if (Date.parse(cp.time) < Date.parse(before.time) || cp.alerts_seq < before.alerts_seq) {
      return { kind: 'checkpoint_reordered', seq: cp.seq, detail: `checkpoint at seq ${cp.seq} was signed before the checkpoint at seq ${before.seq}` };
    }
  }
  return null;
}

function earliest(problems: readonly VerifyProblem[]): VerifyProblem | null {
  let best: VerifyProblem | null = null;
  for (const p of problems) if (!best || p.seq < best.seq) best = p;
  return best;
}

async function verifyChain(store: AuditStore, chainId: string, ctx: ChainContext): Promise<ChainReport> {
  const cps = await store.checkpoints(chainId);
  const bySeq = new Map<number, Checkpoint>();
  for (const cp of cps) bySeq.set(cp.seq, cp);
  const witnessed = ctx.witnessed.filter((w) => w.chain_id === chainId).sort((a, b) => a.seq - b.seq);
  const witnessedAt = new Map<number, Checkpoint>();
  for (const w of witnessed) witnessedAt.set(w.seq, w);
  const report: ChainReport = {
    chain_id: chainId,
    records: 0,
    first_seq: 0,
    last_seq: 0,
    checkpoints: cps.length,
    last_checkpoint_seq: cps.length > 0 ? cps[cps.length - 1]!.seq : null,
    alert_events: 0,
    witnessed: ctx.witnessGiven ? { checkpoints: witnessed.length, seq: witnessed.length > 0 ? witnessed[witnessed.length - 1]!.seq : null } : null,
    ok: true,
    problem: null,
    problems: [],
  };
  let problem: VerifyProblem | null = null;
  let witnessProblem: VerifyProblem | null = null;
  let expected = 0;
  let prevHash = GENESIS_HASH;
  let tree = Frontier.empty();
  /** Highest seq through which a valid checkpoint vouched for the chain we walked. */
  let vouchedThrough = 0;
  /** Last witnessed size the records matched. */
  let consistentThrough: number | null = null;
  /** Receive time of the first record after the newest checkpoint (sender's time for older records). */
  const newestCp = cps[cps.length - 1];
  let firstUncoveredAt: number | null = null;
  const checkWitness = (): void => {
    const w = witnessedAt.get(tree.size);
    if (!w || witnessProblem) return;
    if (w.root !== tree.root().toString('hex')) {
      witnessProblem = {
        kind: 'inconsistent',
        seq: w.seq,
        detail:
          `records ${rangeText((consistentThrough ?? 0) + 1, w.seq)} differ from what the witness saw (checkpoint at seq ${w.seq}, ${w.time}): ` +
          `history the witness holds was rewritten${consistentThrough === null ? '' : `; records 1..${consistentThrough} match`}`,
      };
    } else consistentThrough = w.seq;
  };

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
        if (anchor.checkpoint) {
          try {
            tree = Frontier.from(anchor.checkpoint.seq, anchor.checkpoint.frontier);
          } catch {
            tree = Frontier.empty();
          }
          if (tree.size !== anchor.checkpoint.seq || tree.root().toString('hex') !== anchor.checkpoint.root) {
            problem = {
              kind: 'checkpoint_mismatch',
              seq: anchor.checkpoint.seq,
              detail: `the stored Merkle frontier of the retention anchor (checkpoint at seq ${anchor.checkpoint.seq}) does not match its signed root`,
            };
            break walk;
          }
        }
        checkWitness();
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
        tree.push(leafHash(row.hash));
        if (firstUncoveredAt === null && row.seq > (newestCp?.seq ?? 0)) firstUncoveredAt = recordTime(body);
        const cp = bySeq.get(row.seq);
        if (cp) {
          if (cp.hash !== row.hash || (cp.root && cp.root !== tree.root().toString('hex'))) {
            problem = await checkpointMismatch(store, chainId, row, cp, prevHash, vouchedThrough);
            break walk;
          }
          vouchedThrough = row.seq;
        }
        checkWitness();
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
  const problems: VerifyProblem[] = [];
  // On a tie the checkpoint chain's finding is the more specific one (a moved checkpoint also mismatches its records).
  const chainProblem = checkpointChainProblem(chainId, cps, report.records > 0 ? report.first_seq : null, ctx.keys);
  if (chainProblem) problems.push(chainProblem);
  if (!problem) problem = tailProblem(report, bySeq, expected);
  if (!problem) problem = uncoveredProblem(report, cps, ctx, firstUncoveredAt);
  if (problem) problems.push(problem);
  if (cps.length === 0 && report.records > 0) {
    problems.push({
      kind: 'checkpoint_missing',
      seq: 0,
      detail: `chain '${chainId}' has ${report.records} records and no checkpoint at all (not even its genesis): every checkpoint was deleted`,
    });
  }
  if (report.records === 0 && cps.length === 0) {
    problems.push({
      kind: 'empty',
      seq: 0,
      detail: `chain '${chainId}' has no records and no checkpoints; every chain has its genesis checkpoint: the trail was emptied or replaced`,
    });
  }
  const alerts = await verifyAlertHistory(store, chainId, cps);
  report.alert_events = alerts.events;
  if (alerts.problem) problems.push(alerts.problem);
  // Witness and expected size: only once the store's own records checked out up to there.
  if (witnessProblem) problems.push(witnessProblem);
  problems.push(...reachProblems(report, cps, witnessed, ctx.expectSize.get(chainId) ?? null, alerts.events + alerts.firstSeq - 1, ctx.keys));
  report.problems = problems;
  report.problem = earliest(problems.filter((p) => !p.kind.startsWith('alert_'))) ?? earliest(problems);
  report.ok = problems.length === 0;
  return report;
}

/** The store must reach as far as the witness saw and the verifier was told, with the same signed checkpoints. */
function reachProblems(
  report: ChainReport,
  cps: readonly Checkpoint[],
  witnessed: readonly Checkpoint[],
  expectSize: number | null,
  alertsThrough: number,
  keys: ReadonlyMap<string, KeyObject>,
): VerifyProblem[] {
  const out: VerifyProblem[] = [];
  const size = report.records > 0 ? report.last_seq : (cps[cps.length - 1]?.seq ?? 0);
  const unsigned = witnessed.filter((w) => !signedByTrustedKey(w, keys));
  if (unsigned.length > 0) {
    out.push({
      kind: 'inconsistent',
      seq: unsigned[0]!.seq,
      detail: `${unsigned.length} witnessed checkpoint(s) of chain '${report.chain_id}' are not signed by the verification key (the first at seq ${unsigned[0]!.seq}, ${unsigned[0]!.time}): the signing key was replaced, or the wrong key was given`,
    });
  }
  const newest = witnessed[witnessed.length - 1];
  if (newest && newest.seq > size) {
    out.push({
      kind: 'truncated',
      seq: size + 1,
      detail: `the witness saw ${newest.seq} records of chain '${report.chain_id}' (checkpoint at ${newest.time}); the store ends at seq ${size}: records ${rangeText(size + 1, newest.seq)} were deleted`,
    });
  }
  if (newest && newest.alerts_seq > alertsThrough) {
    out.push({
      kind: 'alert_deleted',
      seq: alertsThrough + 1,
      detail: `the witness saw ${newest.alerts_seq} alert events of chain '${report.chain_id}'; the store has ${alertsThrough}: alert history was deleted`,
    });
  }
  if (expectSize !== null && expectSize > size) {
    out.push({
      kind: 'truncated',
      seq: size + 1,
      detail: `chain '${report.chain_id}' was expected to reach seq ${expectSize}; the store ends at seq ${size}: records ${rangeText(size + 1, expectSize)} were deleted`,
    });
  }
  return out;
}

/** Records after the newest checkpoint, when both they and that checkpoint are older than the signing interval allows. */
function uncoveredProblem(report: ChainReport, cps: readonly Checkpoint[], ctx: ChainContext, firstUncoveredAt: number | null): VerifyProblem | null {
  if (report.records === 0) return null;
  const last = cps[cps.length - 1];
  const coveredThrough = last?.seq ?? report.first_seq - 1;
  if (report.last_seq <= coveredThrough) return null;
  const limit = ctx.now - ctx.maxUncoveredMs;
  if (last && Date.parse(last.time) > limit) return null;
  // A record received just now after a long idle time is not late yet: the timer signs it soon.
  if (firstUncoveredAt !== null && firstUncoveredAt > limit) return null;
  return {
    kind: 'uncovered',
    seq: coveredThrough + 1,
    detail:
      `records ${rangeText(coveredThrough + 1, report.last_seq)} are covered by no checkpoint, and the newest checkpoint ` +
      `(${last ? `seq ${last.seq}, ${last.time}` : 'none'}) is older than ${Math.round(ctx.maxUncoveredMs / 1000)} s: ` +
      'checkpoints after it were deleted (or the processor stopped without signing; starting it signs them)',
  };
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

function anchorFor(firstSeq: number, bySeq: Map<number, Checkpoint>): { hash: string; checkpoint: Checkpoint | null; problem: VerifyProblem | null } {
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

function tailProblem(report: ChainReport, bySeq: Map<number, Checkpoint>, nextSeq: number): VerifyProblem | null {
  let beyond: Checkpoint | null = null;
  for (const cp of bySeq.values()) if (cp.seq >= nextSeq && (!beyond || cp.seq > beyond.seq)) beyond = cp;
  if (!beyond) return null;
  if (report.records === 0) {
    // The genesis checkpoint of an empty chain, or the anchor retention kept after purging every record.
    const oldest = Math.min(...bySeq.keys());
    if (beyond.seq === oldest) return null;
    nextSeq = oldest + 1;
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
