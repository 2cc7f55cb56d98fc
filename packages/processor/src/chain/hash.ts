import { createHash } from 'node:crypto';
import { AUDIT_RECORD_FIELDS, canonicalJson, type AuditDraft, type AuditRecord } from '@mcptrail/conventions';
import type { ChainHead } from '../store/types';

/** prev_hash of the first record of a chain. */
export const GENESIS_HASH = '0'.repeat(64);

/** hex SHA-256(prev_hash ‖ body), body being canonicalJson(record without `hash`). */
export function chainHash(prevHash: string, body: string): string {
  return createHash('sha256').update(prevHash).update(body).digest('hex');
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
  const source = { ...draft, chain_id: chainId, seq: head.seq + 1, prev_hash: head.hash } as Record<string, unknown>;
  for (const field of AUDIT_RECORD_FIELDS) {
    if (field === 'hash') continue;
    const value = source[field];
    unsealed[field] = value === undefined ? null : value;
  }
  const body = canonicalJson(unsealed);
  const hash = chainHash(head.hash, body);
  return { record: { ...(unsealed as Omit<AuditRecord, 'hash'>), hash }, body };
}

/** Rebuilds the record from its stored form. */
export function recordFromRow(body: string, hash: string): AuditRecord {
  return { ...(JSON.parse(body) as Omit<AuditRecord, 'hash'>), hash };
}
