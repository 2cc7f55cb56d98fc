/**
 * `verify` in parallel: a chain is cut at checkpoints into segments, each walked on its own
 * (by a worker thread, ./verify-pool.ts) from the state its starting checkpoint vouches for
 * (its chain hash and Merkle frontier, checked against its signed root), and the segments
 * are joined in order: each must end exactly where the next one was assumed to start.
 *
 * Verdicts are the sequential verifier's, byte for byte: at the first segment that found a
 * problem, or did not end where the next began (records missing at its end, a stored
 * frontier that differs from the one the records build), the chain is walked on from that
 * segment's verified start on this thread, exactly as the sequential walk would have
 * reached it. An intact chain is never walked twice.
 */
import type { AuditStore, Checkpoint } from '../store/types';
import { chainRows } from './chain-rows';
import type { ChainWalker, VerifyProblem } from './verify';
import { type ChainEnv, fromWire, initialWalkState, sameWalkPosition, stateAtCheckpoint, toWire, walkRecords, type WalkState, type WireWalkState } from './verify-walk';

/** One segment to walk: records fromSeq..throughSeq (null: to the end) from `start` (null: the chain's anchor). */
export interface SegmentTask {
  chainId: string;
  fromSeq: number;
  throughSeq: number | null;
  start: WireWalkState | null;
  /** The checkpoints and witnessed checkpoints the segment can meet. */
  checkpoints: Checkpoint[];
  witnessed: Checkpoint[];
  newestCheckpointSeq: number;
}

export interface SegmentResult {
  problem: VerifyProblem | null;
  state: WireWalkState;
}

/** Walks segments: worker threads (./verify-pool.ts) or this thread (segmentsHere). */
export interface SegmentRunner {
  run(task: SegmentTask): Promise<SegmentResult>;
}

export interface SegmentPlanOptions {
  /** Segments per chain: about this many (more than the threads, so a slow one does not hold the rest up). */
  segments: number;
  /** No segment shorter than this many records (a segment costs a message and a query). */
  minRecords: number;
}

/** Walks a segment task against `store` on the calling thread. */
export async function runSegment(store: AuditStore, task: SegmentTask): Promise<SegmentResult> {
  const env: ChainEnv = {
    chainId: task.chainId,
    bySeq: new Map(task.checkpoints.map((cp) => [cp.seq, cp])),
    witnessedAt: new Map(task.witnessed.map((w) => [w.seq, w])),
    newestCheckpointSeq: task.newestCheckpointSeq,
  };
  const state = task.start ? fromWire(task.start) : initialWalkState();
  const problem = await walkRecords(store, env, state, task.fromSeq, task.throughSeq);
  return { problem, state: toWire(state) };
}

/** A runner on the calling thread, over `store` (tests; stores no other thread can open): one segment at a time, as the one connection a walk needs. */
export function segmentsHere(store: AuditStore): SegmentRunner {
  let last: Promise<unknown> = Promise.resolve();
  return {
    run(task) {
      const next = last.then(() => runSegment(store, task));
      last = next.catch(() => undefined);
      return next;
    },
  };
}

/** Checkpoint seqs to cut at: about equal record counts, none shorter than minRecords. */
export function planCuts(firstSeq: number, checkpointSeqs: readonly number[], opts: SegmentPlanOptions): number[] {
  const usable = checkpointSeqs.filter((s) => s >= firstSeq);
  const last = usable[usable.length - 1];
  if (last === undefined) return [];
  const span = last - firstSeq + 1;
  const target = Math.max(opts.minRecords, Math.ceil(span / Math.max(1, opts.segments)));
  const cuts: number[] = [];
  let from = firstSeq;
  for (const seq of usable) {
    if (seq - from + 1 >= target) {
      cuts.push(seq);
      from = seq + 1;
    }
  }
  return cuts;
}

/** The first record's seq, or null for a chain without records. */
async function firstRecordSeq(store: AuditStore, chainId: string): Promise<number | null> {
  for await (const batch of chainRows(store, chainId, 0, null, 1)) return batch[0]?.[0] ?? null;
  return null;
}

function mergeInto(acc: WalkState, seg: WalkState): void {
  acc.records += seg.records;
  if (seg.records > 0) acc.lastSeq = seg.lastSeq;
  acc.expected = seg.expected;
  acc.prevHash = seg.prevHash;
  acc.tree = seg.tree;
  acc.vouchedThrough = seg.vouchedThrough;
  acc.firstUncoveredAt ??= seg.firstUncoveredAt;
  for (const c of seg.witnessChecks) acc.witnessChecks.push(c);
}

/** A ChainWalker that walks checkpoint segments through `runner` (sequentially when the chain is too short to split). */
export function segmentWalker(runner: SegmentRunner, opts: SegmentPlanOptions): ChainWalker {
  return async (store, env, cps) => {
    const first = await firstRecordSeq(store, env.chainId);
    const cuts = first === null ? [] : planCuts(first, cps.map((cp) => cp.seq), opts);
    const whole = async () => {
      const state = initialWalkState();
      return { state, problem: await walkRecords(store, env, state, 0, null) };
    };
    if (first === null || cuts.length === 0) return whole();
    const tasks: Array<{ task: SegmentTask; assumed: WalkState | null }> = [];
    const witnessed = [...env.witnessedAt.values()];
    let from = 0;
    let startCp: Checkpoint | null = null;
    for (const through of [...cuts, null]) {
      const lo = startCp ? startCp.seq : Number.NEGATIVE_INFINITY;
      const hi = through ?? Number.POSITIVE_INFINITY;
      const assumed = startCp ? stateAtCheckpoint(startCp, first) : null;
      tasks.push({
        assumed,
        task: {
          chainId: env.chainId,
          fromSeq: from,
          throughSeq: through,
          start: assumed ? toWire(assumed) : null,
          checkpoints: cps.filter((cp) => cp.seq >= lo && cp.seq <= hi),
          witnessed: witnessed.filter((w) => (startCp ? w.seq > lo : true) && w.seq <= hi),
          newestCheckpointSeq: env.newestCheckpointSeq,
        },
      });
      if (through !== null) {
        startCp = env.bySeq.get(through)!;
        from = through + 1;
      }
    }
    // Segments whose start the checkpoint cannot vouch for are not sent: the join walks them here.
    const results = tasks.map(({ task, assumed }, i) => (i > 0 && !assumed ? null : runner.run(task)));
    // Every segment runs to completion (or its failure) before this returns: no walk outlives the verify.
    const settled = await Promise.allSettled(results.map((r) => r ?? Promise.resolve(null)));
    const acc = initialWalkState();
    for (let i = 0; i < tasks.length; i++) {
      const { task, assumed } = tasks[i]!;
      const joined = i === 0 || (assumed !== null && sameWalkPosition(acc, assumed));
      const outcome = settled[i]!;
      if (outcome.status === 'rejected' && joined) throw outcome.reason;
      const result = outcome.status === 'fulfilled' ? outcome.value : null;
      const clean = joined && result !== null && result.problem === null && (task.throughSeq === null || result.state.expected === task.throughSeq + 1);
      if (!clean) {
        // From here on exactly as the sequential walk: it reached this point in the same state.
        return { state: acc, problem: await walkRecords(store, env, acc, task.fromSeq, null) };
      }
      if (i === 0) Object.assign(acc, fromWire(result.state));
      else mergeInto(acc, fromWire(result.state));
    }
    return { state: acc, problem: null };
  };
}
