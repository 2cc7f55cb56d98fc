/**
 * RFC 9162 proofs from the store: that a record is in the tree a checkpoint signed
 * (inclusion), and that a later checkpoint's tree extends an earlier one (consistency).
 * Leaf data is the record's 32-byte chain hash (chain/merkle.ts), so a verifier recomputes
 * the record hash from the record, the leaf hash from that, and the root from the path.
 */
import type { KeyObject } from 'node:crypto';
import type { AuditStore, Checkpoint } from '../store/types';
import { signedNote } from './checkpoint';
import { ChainError } from './errors';
import { Frontier, MerkleTree, leafHash } from './merkle';

export interface InclusionProof {
  chain_id: string;
  seq: number;
  /** RFC 9162 leaf index = seq - 1. */
  leaf_index: number;
  record_hash: string;
  leaf_hash: string;
  tree_size: number;
  root: string;
  /** Audit path, hex, leaf to root. */
  inclusion_path: string[];
  checkpoint: string;
}

export interface ConsistencyProof {
  chain_id: string;
  from: { tree_size: number; root: string; checkpoint: string };
  to: { tree_size: number; root: string; checkpoint: string };
  /** RFC 9162 consistency path, hex. */
  consistency_path: string[];
}

interface LoadedTree {
  tree: MerkleTree;
  records: Map<number, string>;
  checkpoints: Checkpoint[];
}

/** The chain's tree from its retained records (and the retention anchor's frontier). */
async function loadTree(store: AuditStore, chainId: string): Promise<LoadedTree> {
  const checkpoints = (await store.checkpoints(chainId)).filter((c) => c.root);
  const leaves: Buffer[] = [];
  const records = new Map<number, string>();
  let first: number | null = null;
  for await (const batch of store.scanHashes({ chainId, batchSize: 10_000 })) {
    for (const row of batch) {
      first ??= row.seq;
      if (row.seq !== first + leaves.length) throw new ChainError('MCPTRAIL_ERR_PROOF_RANGE', `chain '${chainId}' has a gap before seq ${row.seq}: run mcptrail verify`);
      leaves.push(leafHash(row.hash));
      records.set(row.seq, row.hash);
    }
  }
  const offset = first === null ? (checkpoints[0]?.seq ?? 0) : first - 1;
  const anchor = offset === 0 ? null : checkpoints.find((c) => c.seq === offset);
  if (offset > 0 && !anchor) throw new ChainError('MCPTRAIL_ERR_PROOF_RANGE', `no checkpoint anchors chain '${chainId}' at seq ${offset}`);
  const tree = new MerkleTree(offset, leaves, anchor ? Frontier.from(anchor.seq, anchor.frontier) : null);
  return { tree, records, checkpoints };
}

function checkpointAt(loaded: LoadedTree, chainId: string, size: number | null, atLeast: number): Checkpoint {
  const cp =
    size === null ? loaded.checkpoints.filter((c) => c.seq >= atLeast).at(-1) : loaded.checkpoints.find((c) => c.seq === size);
  if (!cp) {
    throw new ChainError(
      'MCPTRAIL_ERR_PROOF_RANGE',
      size === null ? `no checkpoint of chain '${chainId}' covers seq ${atLeast} yet` : `chain '${chainId}' has no checkpoint at tree size ${size}`,
    );
  }
  if (cp.seq > loaded.tree.size) throw new ChainError('MCPTRAIL_ERR_PROOF_RANGE', `chain '${chainId}' lacks records the checkpoint at ${cp.seq} covers: run mcptrail verify`);
  const root = loaded.tree.root(cp.seq).toString('hex');
  if (root !== cp.root) throw new ChainError('MCPTRAIL_ERR_PROOF_RANGE', `the records of chain '${chainId}' do not match the checkpoint at ${cp.seq}: run mcptrail verify`);
  return cp;
}

export async function proveInclusion(store: AuditStore, chainId: string, seq: number, publicKey: KeyObject, size: number | null = null): Promise<InclusionProof> {
  const loaded = await loadTree(store, chainId);
  const recordHash = loaded.records.get(seq);
  if (!recordHash) throw new ChainError('MCPTRAIL_ERR_PROOF_RANGE', `chain '${chainId}' has no record at seq ${seq}`);
  const cp = checkpointAt(loaded, chainId, size, seq);
  if (cp.seq < seq) throw new ChainError('MCPTRAIL_ERR_PROOF_RANGE', `the checkpoint at tree size ${cp.seq} does not cover seq ${seq}`);
  return {
    chain_id: chainId,
    seq,
    leaf_index: seq - 1,
    record_hash: recordHash,
    leaf_hash: leafHash(recordHash).toString('hex'),
    tree_size: cp.seq,
    root: cp.root,
    inclusion_path: loaded.tree.inclusionProof(seq - 1, cp.seq).map((b) => b.toString('hex')),
    checkpoint: signedNote(cp, publicKey),
  };
}

export async function proveConsistency(store: AuditStore, chainId: string, from: number, to: number | null, publicKey: KeyObject): Promise<ConsistencyProof> {
  const loaded = await loadTree(store, chainId);
  const a = checkpointAt(loaded, chainId, from, 0);
  const b = checkpointAt(loaded, chainId, to, from);
  if (b.seq < a.seq) throw new ChainError('MCPTRAIL_ERR_PROOF_RANGE', `tree size ${b.seq} is smaller than ${a.seq}`);
  return {
    chain_id: chainId,
    from: { tree_size: a.seq, root: a.root, checkpoint: signedNote(a, publicKey) },
    to: { tree_size: b.seq, root: b.root, checkpoint: signedNote(b, publicKey) },
    consistency_path: loaded.tree.consistencyProof(a.seq, b.seq).map((h) => h.toString('hex')),
  };
}
