import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson, type AuditDraft } from '@mcptrail/conventions';
import { GENESIS_HASH, canonicalBody, chainHash, recordFromRow, sealDraft } from '../../src/chain/hash';
import { normalizeLog, normalizeSpan } from '../../src/audit/normalize';
import { auditLog, toolSpan } from '../audit/fixtures';
import { testRedactor } from '../audit/redactor';

const opts = { redactor: testRedactor() };
const drafts = (): AuditDraft[] => {
  const out: AuditDraft[] = [];
  for (const n of [
    normalizeSpan(toolSpan({ args: { z: 1, a: [{ y: 'é', b: null }], m: { '\u00e9': 2, e: 1.5e-7 } } }), opts),
    normalizeLog(auditLog({ args: 'plain text' }), opts),
    normalizeSpan(toolSpan({ method: 'initialize' }), opts),
  ]) {
    if (n.kind === 'draft') out.push(n.draft);
  }
  return out;
};

describe('hash chain', () => {
  it('hash = sha256hex(prev_hash + canonicalJson(record without hash))', () => {
    let head = { seq: 0, hash: GENESIS_HASH };
    for (const d of drafts()) {
      const { record, body } = sealDraft(d, 'main', head);
      const { hash, ...rest } = record;
      expect(body).toBe(canonicalJson(rest));
      expect(hash).toBe(createHash('sha256').update(head.hash + canonicalJson(rest)).digest('hex'));
      expect(chainHash(head.hash, body)).toBe(hash);
      expect(record).toMatchObject({ seq: head.seq + 1, prev_hash: head.hash, chain_id: 'main' });
      expect(recordFromRow(body, hash)).toEqual(record);
      head = { seq: record.seq, hash };
    }
  });

  it('canonicalBody matches canonicalJson byte for byte, including nulls for missing fields', () => {
    const partial = { seq: 3, time: '2026-01-01T00:00:00.000Z', args: { b: [1, { d: 2, c: 3 }], a: 'x' }, duration_ms: 0.25 };
    const full: Record<string, unknown> = {};
    const { record } = sealDraft(drafts()[0]!, 'c', { seq: 0, hash: GENESIS_HASH });
    for (const k of Object.keys(record)) if (k !== 'hash') full[k] = (partial as Record<string, unknown>)[k] ?? null;
    expect(canonicalBody(full)).toBe(canonicalJson(full));
  });
});
