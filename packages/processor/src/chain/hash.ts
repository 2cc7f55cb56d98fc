import crypto from 'node:crypto';
import { AUDIT_RECORD_FIELDS, canonicalJson, type AuditDraft, type AuditRecord } from '@mcptrail/conventions';
import type { ChainHead } from '../store/types';

/** prev_hash of the first record of a chain. */
export const GENESIS_HASH = '0'.repeat(64);

/** hex SHA-256(prev_hash ‖ body), body being canonicalJson(record without `hash`). */
export function chainHash(prevHash: string, body: string): string {
  return oneShot ? oneShot('sha256', prevHash + body) : crypto.createHash('sha256').update(prevHash).update(body).digest('hex');
}

/** chainHash over the bytes of prev_hash (64 hex digits) then the body's UTF-8: verify's packed rows. */
export function chainHashOfBytes(prevAndBody: Buffer): string {
  return oneShot ? oneShot('sha256', prevAndBody) : crypto.createHash('sha256').update(prevAndBody).digest('hex');
}

/** `crypto.hash` (Node >= 20.12): no Hash object per record, which is most of verify's cost. */
const oneShot = (crypto as unknown as { hash?: (algorithm: string, data: string | Buffer) => string }).hash;

/** Record fields in canonical (sorted) order, `hash` excluded. */
const BODY_FIELDS = AUDIT_RECORD_FIELDS.filter((f) => f !== 'hash').sort();
const BODY_KEYS = BODY_FIELDS.map((f) => JSON.stringify(f) + ':');

/**
 * canonicalJson(record without hash), specialised: the keys are known and sorted once,
 * scalars are JSON.stringify'd directly, nested values (args, result) go through
 * canonicalJson. Byte-identical to canonicalJson (tested).
 */
export function canonicalBody(unsealed: Record<string, unknown>): string {
  let out = '{';
  for (let i = 0; i < BODY_FIELDS.length; i++) {
    const v = unsealed[BODY_FIELDS[i]!];
    let text: string;
    if (v === null || v === undefined) text = 'null';
    else if (typeof v === 'string' || typeof v === 'boolean') text = JSON.stringify(v);
    else if (typeof v === 'number' && Number.isFinite(v)) text = JSON.stringify(v);
    else text = canonicalJson(v);
    out += (i === 0 ? '' : ',') + BODY_KEYS[i] + text;
  }
  return out + '}';
}

export interface SealedRecord {
  record: AuditRecord;
  /** The canonical text the hash covers; stored verbatim so verification never re-serialises. */
  body: string;
}

/**
 * Places a draft in a chain after `head`. Every schema field is present (null when
 * unknown) so the canonical form, and therefore the hash, does not depend on how the
 * draft was built.
 */
export function sealDraft(draft: AuditDraft, chainId: string, head: ChainHead): SealedRecord {
  const unsealed: Record<string, unknown> = {};
  const source = draft as unknown as Record<string, unknown>;
  for (const field of BODY_FIELDS) {
    const value = field === 'chain_id' ? chainId : field === 'seq' ? head.seq + 1 : field === 'prev_hash' ? head.hash : source[field];
    unsealed[field] = value === undefined ? null : value;
  }
  const body = canonicalBody(unsealed);
  const hash = chainHash(head.hash, body);
  return { record: { ...(unsealed as Omit<AuditRecord, 'hash'>), hash }, body };
}

/** Rebuilds the record from its stored form. */
export function recordFromRow(body: string, hash: string): AuditRecord {
  return { ...(JSON.parse(body) as Omit<AuditRecord, 'hash'>), hash };
}
