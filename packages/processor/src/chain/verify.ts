import type { KeyObject } from 'node:crypto';
import type { AuditStore, Checkpoint } from '../store/types';
import { verifyAlertHistory } from './alert-verify';
import { checkpointDigest, checkpointSignatureValid } from './checkpoint';
import { GENESIS_HASH } from './hash';
import { publicKeyId, toPublicKey } from './signing';
import { type ChainEnv, initialWalkState, rangeText, walkRecords, witnessProblemOf, type WalkState } from './verify-walk';

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
  /**
   * How each chain's records are walked. Default: the whole chain on this thread;
   * `createVerifyPool(...).walker` (./verify-parallel.ts) walks checkpoint segments on worker threads.
   */
  walker?: ChainWalker;
}

/** Walks one chain's records (every record, in seq order, from the chain's anchor) and returns where the walk ended and its first problem. */
export type ChainWalker = (store: AuditStore, env: ChainEnv, checkpoints: readonly Checkpoint[]) => Promise<{ state: WalkState; problem: VerifyProblem | null }>;

/** The sequential walker: one pass over the chain on this thread. */
export async function walkWholeChain(store: AuditStore, env: ChainEnv): Promise<{ state: WalkState; problem: VerifyProblem | null }> {
  const state = initialWalkState();
  const problem = await walkRecords(store, env, state, 0, null);
  return { state, problem };
}

export const DEFAULT_MAX_UNCOVERED_MS = 600_000;

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
    walker: opts.walker ?? walkWholeChain,
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
  walker: ChainWalker;
}

/** key_id picks one of the trusted keys (it is not signed: a wrong one just fails the signature). */
function signedByTrustedKey(cp: Checkpoint, keys: ReadonlyMap<string, KeyObject>): boolean {
  const named = keys.get(cp.key_id);
  if (named) return checkpointSignatureValid(cp, named);
  for (const key of keys.values()) if (checkpointSignatureValid(cp, key)) return true;
  return false;
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
  const env: ChainEnv = { chainId, bySeq, witnessedAt, newestCheckpointSeq: cps[cps.length - 1]?.seq ?? 0 };
  const walked = await ctx.walker(store, env, cps);
  let problem = walked.problem;
  const s = walked.state;
  report.records = s.records;
  report.first_seq = s.started ? s.firstSeq : 0;
  report.last_seq = s.records > 0 ? s.lastSeq : 0;
  const expected = s.expected;
  const witnessProblem = witnessProblemOf(s.witnessChecks, witnessedAt);
  const problems: VerifyProblem[] = [];
  // On a tie the checkpoint chain's finding is the more specific one (a moved checkpoint also mismatches its records).
  const chainProblem = checkpointChainProblem(chainId, cps, report.records > 0 ? report.first_seq : null, ctx.keys);
  if (chainProblem) problems.push(chainProblem);
  if (!problem) problem = tailProblem(report, bySeq, expected);
  if (!problem) problem = uncoveredProblem(report, cps, ctx, s.firstUncoveredAt);
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
