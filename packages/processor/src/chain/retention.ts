import type { AuditStore } from '../store/types';

export interface PurgeReport {
  purged: number;
  /** Per chain: the checkpoint now anchoring it, or null when nothing was old enough. */
  chains: Array<{ chain_id: string; anchor_seq: number | null; purged: number }>;
}

/**
 * Retention: deletes, per chain, the whole segment up to the newest checkpoint signed
 * before `cutoff`. That checkpoint stays as the chain's anchor, so `verifyTrail` still
 * passes. A checkpoint's time is after the sealing of every record it covers, so every
 * purged record is older than the cutoff; younger records are never touched.
 */
export async function purgeBefore(store: AuditStore, cutoff: Date): Promise<PurgeReport> {
  const limit = cutoff.getTime();
  if (Number.isNaN(limit)) throw new TypeError('purgeBefore: cutoff is not a valid Date');
  const report: PurgeReport = { purged: 0, chains: [] };
  for (const chainId of await store.chains()) {
    const cps = await store.checkpoints(chainId);
    let anchor = null;
    for (const cp of cps) if (Date.parse(cp.time) < limit && (!anchor || cp.seq > anchor.seq)) anchor = cp;
    if (!anchor) {
      report.chains.push({ chain_id: chainId, anchor_seq: null, purged: 0 });
      continue;
    }
    const { purged } = await store.purgeThrough(chainId, anchor.seq);
    report.purged += purged;
    report.chains.push({ chain_id: chainId, anchor_seq: anchor.seq, purged });
  }
  return report;
}
