/**
 * Trail integrity at a glance: each chain's size, head and last signed checkpoint (how
 * many records are not yet covered by a signature). The verify run itself is the
 * processor's `verifyTrail`, started from the page.
 */
import type { AuditStore, Checkpoint } from '../store/types';

export interface ChainSummary {
  chain_id: string;
  records: number;
  head: { seq: number; hash: string; time: string } | null;
  checkpoints: number;
  last_checkpoint: Checkpoint | null;
  /** Records after the last checkpoint: appended but not yet under a signature. */
  unsigned: number;
}

export async function buildIntegrity(store: AuditStore): Promise<{ store: string; chains: ChainSummary[] }> {
  const chains: ChainSummary[] = [];
  for (const chain_id of await store.chains()) {
    const [records, [head], checkpoints] = await Promise.all([
      store.count({ chain_id }),
      store.query({ chain_id, limit: 1 }, 'desc'),
      store.checkpoints(chain_id),
    ]);
    const last = checkpoints[checkpoints.length - 1] ?? null;
    chains.push({
      chain_id,
      records,
      head: head ? { seq: head.seq, hash: head.hash, time: head.time } : null,
      checkpoints: checkpoints.length,
      last_checkpoint: last,
      unsigned: head ? Math.max(0, head.seq - (last?.seq ?? 0)) : 0,
    });
  }
  return { store: store.kind, chains };
}
