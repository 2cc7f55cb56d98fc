import type { AuditStore, Checkpoint } from '../store/types';
import { GENESIS_HASH, chainHash } from './hash';
import type { VerifyProblem } from './verify';

export interface AlertHistoryReport {
  /** Events stored. */
  events: number;
  /** Seq of the first stored event (retention may have purged those before it). */
  firstSeq: number;
  problem: VerifyProblem | null;
}

/**
 * The alert history of a chain: consecutive seqs from the anchor (genesis, or the alert
 * head named by the oldest checkpoint after retention), each hash over its predecessor, and
 * every checkpoint's (alerts_seq, alerts_hash) found in it.
 */
export async function verifyAlertHistory(store: AuditStore, chainId: string, cps: readonly Checkpoint[]): Promise<AlertHistoryReport> {
  const rows = await store.alertEvents(chainId);
  const firstSeq = rows[0]?.seq ?? (cps[0]?.alerts_seq ?? 0) + 1;
  const report: AlertHistoryReport = { events: rows.length, firstSeq, problem: null };
  const hashes = new Map<number, string>();
  let prev = GENESIS_HASH;
  let expected = 1;
  // Retention may have purged the events the oldest checkpoint covers: it anchors the rest.
  const start = rows[0]?.seq ?? (cps[0]?.alerts_seq ?? 0) + 1;
  if (start > 1) {
    const anchor = cps.find((cp) => cp.alerts_seq === start - 1);
    if (!anchor) {
      report.problem = {
        kind: 'alert_deleted',
        seq: 1,
        detail: `alert events ${start > 2 ? `1..${start - 1}` : '1'} are missing and no checkpoint anchors the history after them`,
      };
      return report;
    }
    prev = anchor.alerts_hash;
    expected = start;
  }
  hashes.set(expected - 1, prev);
  for (const row of rows) {
    if (row.seq !== expected) {
      report.problem = { kind: 'alert_deleted', seq: expected, detail: `alert event ${expected} is missing: the alert history jumps from ${expected - 1} to ${row.seq}` };
      return report;
    }
    let body: { prev_hash?: unknown; seq?: unknown; chain_id?: unknown; alert_id?: unknown };
    try {
      body = JSON.parse(row.body) as typeof body;
    } catch {
      body = {};
    }
    if (chainHash(prev, row.body) !== row.hash || body.prev_hash !== prev || body.seq !== row.seq || body.chain_id !== chainId) {
      report.problem = {
        kind: 'alert_modified',
        seq: row.seq,
        detail: `alert event ${row.seq} (alert ${String(body.alert_id ?? '?')}) does not match its hash or its predecessor: it was edited`,
      };
      return report;
    }
    prev = row.hash;
    hashes.set(row.seq, row.hash);
    expected++;
  }
  const through = expected - 1;
  for (const cp of cps) {
    if (!cp.alerts_hash) continue;
    if (cp.alerts_seq > through) {
      report.problem = {
        kind: 'alert_deleted',
        seq: through + 1,
        detail: `checkpoint at seq ${cp.seq} covers ${cp.alerts_seq} alert events; the store has ${through}: alert events ${through + 1}..${cp.alerts_seq} were deleted`,
      };
      return report;
    }
    const at = hashes.get(cp.alerts_seq);
    if (at !== undefined && at !== cp.alerts_hash) {
      report.problem = {
        kind: 'alert_modified',
        seq: cp.alerts_seq,
        detail: `the alert history through event ${cp.alerts_seq} differs from what the checkpoint at seq ${cp.seq} signed: it was rewritten`,
      };
      return report;
    }
  }
  return report;
}
