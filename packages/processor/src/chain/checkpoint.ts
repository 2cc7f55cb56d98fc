/**
 * Checkpoints as C2SP tlog-checkpoint signed notes (https://c2sp.org/tlog-checkpoint,
 * https://c2sp.org/signed-note), Ed25519:
 *
 *   <origin>
 *   <tree size = seq>
 *   <base64 RFC 6962 root of records 1..seq>
 *   mcptrail-chain <chain_id> <hex chain hash of record seq>
 *   mcptrail-prev <hex SHA-256 of the previous checkpoint's note text, or 64 zeros>
 *   mcptrail-alerts <alert events> <hex chain hash of the newest alert event>
 *   mcptrail-time <ISO 8601 signing time>
 *
 *   — <origin> <base64(4-byte key hash || 64-byte signature)>
 *
 * The signature covers the text up to and including its last newline. Every checkpoint
 * names its predecessor, so none can be dropped, reordered or duplicated without breaking
 * the chain of checkpoints; clients that only know tlog-checkpoint ignore the extension lines.
 */
import { createHash, verify, type KeyObject } from 'node:crypto';
import { GENESIS_HASH } from './hash';
import { Frontier, leafHash } from './merkle';
import { publicKeyId, rawPublicKey, type CheckpointSigner } from './signing';
import type { ChainHead, Checkpoint, CheckpointState } from '../store/types';

export const CHECKPOINT_EXTENSIONS = ['mcptrail-chain', 'mcptrail-prev', 'mcptrail-alerts', 'mcptrail-time'] as const;

/** The origin line when trail.origin is not set. */
export function defaultOrigin(chainId: string): string {
  return `mcptrail/${chainId}`;
}

/** The note text the signature covers. */
export function checkpointText(cp: Omit<Checkpoint, 'signature' | 'key_id' | 'frontier'>): string {
  return (
    `${cp.origin}\n${cp.seq}\n${Buffer.from(cp.root, 'hex').toString('base64')}\n` +
    `mcptrail-chain ${cp.chain_id} ${cp.hash}\n` +
    `mcptrail-prev ${cp.prev}\n` +
    `mcptrail-alerts ${cp.alerts_seq} ${cp.alerts_hash}\n` +
    `mcptrail-time ${cp.time}\n`
  );
}

/** hex SHA-256 of the note text: what the next checkpoint's `mcptrail-prev` names. */
export function checkpointDigest(cp: Omit<Checkpoint, 'signature' | 'key_id' | 'frontier'>): string {
  return createHash('sha256').update(checkpointText(cp)).digest('hex');
}

/** C2SP signed-note key hash: SHA-256(name || 0x0A || 0x01 || 32-byte key)[:4]. */
export function noteKeyHash(name: string, publicKey: KeyObject): Buffer {
  return createHash('sha256').update(name).update(Buffer.from([0x0a, 0x01])).update(rawPublicKey(publicKey)).digest().subarray(0, 4);
}

/** The note verifier key in the signed-note text form: `<name>+<hex key hash>+<base64(0x01 || key)>`. */
export function verifierKey(name: string, publicKey: KeyObject): string {
  return `${name}+${noteKeyHash(name, publicKey).toString('hex')}+${Buffer.concat([Buffer.from([1]), rawPublicKey(publicKey)]).toString('base64')}`;
}

/** The whole signed note: text, blank line, signature line. */
export function signedNote(cp: Checkpoint, publicKey: KeyObject): string {
  const sig = Buffer.concat([noteKeyHash(cp.origin, publicKey), Buffer.from(cp.signature, 'base64')]).toString('base64');
  return `${checkpointText(cp)}\n\u2014 ${cp.origin} ${sig}\n`;
}

export interface CheckpointOptions {
  chainId: string;
  origin: string;
  time: string;
  signer: CheckpointSigner;
}

/** Signs the next checkpoint: the tree grows from the last checkpoint's frontier by the new leaves. */
export function buildCheckpoint(state: CheckpointState, opts: CheckpointOptions): Checkpoint {
  const { head, last, leaves, alerts } = state;
  const frontier = last ? Frontier.from(last.seq, last.frontier) : Frontier.empty();
  for (const h of leaves) frontier.push(leafHash(h));
  if (frontier.size !== head.seq) throw new RangeError(`checkpoint at seq ${head.seq} got a tree of ${frontier.size} leaves`);
  const unsigned = {
    chain_id: opts.chainId,
    seq: head.seq,
    hash: head.hash,
    time: opts.time,
    origin: opts.origin,
    root: frontier.root().toString('hex'),
    prev: last ? checkpointDigest(last) : GENESIS_HASH,
    alerts_seq: alerts.seq,
    alerts_hash: alerts.hash,
  };
  const signature = opts.signer.signBytes(Buffer.from(checkpointText(unsigned)));
  return { ...unsigned, frontier: frontier.toHex(), signature: signature.toString('base64'), key_id: opts.signer.keyId };
}

export function checkpointSignatureValid(cp: Checkpoint, publicKey: KeyObject): boolean {
  try {
    return verify(null, Buffer.from(checkpointText(cp)), publicKey, Buffer.from(cp.signature, 'base64'));
  } catch {
    return false;
  }
}

/** A checkpoint read back from a signed note (a witness file, a sink); frontier unknown (empty). */
export interface ParsedNote {
  checkpoint: Checkpoint;
  /** Signature lines: key name and base64(key hash || signature). */
  signatures: Array<{ name: string; keyHash: Buffer; signature: Buffer }>;
}

const NOTE_LINE = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/;

/** Parses a checkpoint signed note written by `signedNote`; null when it is not one. */
export function parseSignedNote(note: string): ParsedNote | null {
  const split = note.lastIndexOf('\n\n');
  if (split < 0) return null;
  const text = note.slice(0, split + 1);
  const lines = text.split('\n');
  if (lines.length !== 8 || lines[7] !== '') return null;
  const [origin, size, root64, chain, prev, alerts, time] = lines as [string, string, string, string, string, string, string];
  const c = /^mcptrail-chain (\S+) ([0-9a-f]{64})$/.exec(chain);
  const p = /^mcptrail-prev ([0-9a-f]{64})$/.exec(prev);
  const a = /^mcptrail-alerts (\d+) ([0-9a-f]{64})$/.exec(alerts);
  const t = /^mcptrail-time (\S+)$/.exec(time);
  const root = Buffer.from(root64, 'base64');
  if (!/^\d+$/.test(size) || root.length !== 32 || !c || !p || !a || !t) return null;
  const signatures: ParsedNote['signatures'] = [];
  for (const line of note.slice(split + 2).split('\n')) {
    if (line === '') continue;
    const m = NOTE_LINE.exec(line);
    if (!m) return null;
    const raw = Buffer.from(m[2]!, 'base64');
    if (raw.length < 5) return null;
    signatures.push({ name: m[1]!, keyHash: raw.subarray(0, 4), signature: raw.subarray(4) });
  }
  const checkpoint: Checkpoint = {
    chain_id: c[1]!,
    seq: Number(size),
    hash: c[2]!,
    time: t[1]!,
    origin,
    root: root.toString('hex'),
    prev: p[1]!,
    alerts_seq: Number(a[1]),
    alerts_hash: a[2]!,
    frontier: [],
    signature: '',
    key_id: '',
  };
  return { checkpoint, signatures };
}

/** The note's checkpoint with the signature that one of `keys` made, or null when none of them signed it. */
export function openSignedNote(note: string, keys: readonly KeyObject[]): Checkpoint | null {
  const parsed = parseSignedNote(note);
  if (!parsed) return null;
  for (const key of keys) {
    const hash = noteKeyHash(parsed.checkpoint.origin, key);
    for (const s of parsed.signatures) {
      if (s.name !== parsed.checkpoint.origin || !s.keyHash.equals(hash)) continue;
      const cp = { ...parsed.checkpoint, signature: s.signature.toString('base64'), key_id: publicKeyId(key) };
      if (checkpointSignatureValid(cp, key)) return cp;
    }
  }
  return null;
}

export type { ChainHead };
