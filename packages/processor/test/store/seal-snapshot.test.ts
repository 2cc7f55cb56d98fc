// SqliteStore.sealCalls makes its plan (canonical bodies, hashes) BEFORE the write gate, from a
// read snapshot, and inside the write transaction only checks that the snapshot still holds.
// The attacker's (or the unlucky) case: another connection writes the same file between the
// snapshot and the write transaction. Then the plan must be made again, or the chain forks
// (two records with one seq) or a call is sealed twice. Control: a plan that ignores the head
// it is given (what a store that trusted its stale snapshot would insert) is refused.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditDraft } from '@mcptrail/conventions';
import { normalizeSpan } from '../../src/audit/normalize';
import { GENESIS_HASH, sealDraft } from '../../src/chain/hash';
import { openSqliteStore, type SqliteAuditStore } from '../../src/store/sqlite';
import type { ChainHead, SealPlan } from '../../src/store/types';
import { toolSpan } from '../audit/fixtures';
import { testRedactor } from '../audit/redactor';

let dir: string;
let store: SqliteAuditStore;
let other: SqliteAuditStore;

function draft(spanId: string): AuditDraft {
  const n = normalizeSpan(toolSpan({ traceId: 'ab'.repeat(16), spanId }), { redactor: testRedactor() });
  if (n.kind !== 'draft') throw new Error('fixture span did not normalize');
  return n.draft;
}

/** Another connection to the same file appends `d` as the next record of the chain, at once. */
function appendElsewhere(d: AuditDraft): void {
  other.db.transaction(() => other.insertSealed([sealDraft(d, other.chainId, other.head())])).immediate();
}

const planOf = (calls: AuditDraft[], head: ChainHead): SealPlan => {
  const records = [];
  let h = head;
  for (const c of calls) {
    const s = sealDraft(c, 'main', h);
    h = { seq: s.record.seq, hash: s.record.hash };
    records.push(s);
  }
  return { records, checkpoint: null };
};

function assertChain(): void {
  const rows = store.db.prepare(`SELECT seq, body FROM audit_records WHERE chain_id = 'main' ORDER BY seq`).all() as Array<{ seq: number; body: string }>;
  let prev = GENESIS_HASH;
  rows.forEach((r, i) => {
    expect(r.seq).toBe(i + 1);
    const rec = JSON.parse(r.body) as { prev_hash: string; hash?: string };
    expect(rec.prev_hash).toBe(prev);
    prev = store.db.prepare(`SELECT hash FROM audit_records WHERE chain_id = 'main' AND seq = ?`).pluck().get(r.seq) as string;
  });
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcptrail-seal-snapshot-'));
  store = openSqliteStore({ path: path.join(dir, 'trail.db') });
  other = openSqliteStore({ path: path.join(dir, 'trail.db') });
});
afterEach(async () => {
  await other.close();
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('sealCalls: the plan made before the write gate', () => {
  it('without a concurrent writer the plan is made once (outside the write transaction) and stored', async () => {
    const calls = [draft('0000000000000001'), draft('0000000000000002')];
    let plans = 0;
    const out = await store.sealCalls(calls, (fresh, head) => {
      plans++;
      expect(store.db.inTransaction).toBe(false);
      return planOf(fresh, head);
    }, { consumed: [], noted: [] });
    expect(plans).toBe(1);
    expect(out.records.map((r) => r.seq)).toEqual([1, 2]);
    assertChain();
  });

  it('another connection appends between the snapshot and the write: the plan is made again on the new head (no fork, no gap)', async () => {
    const calls = [draft('0000000000000001')];
    const heads: number[] = [];
    const out = await store.sealCalls(calls, (fresh, head) => {
      heads.push(head.seq);
      if (heads.length === 1) appendElsewhere(draft('00000000000000ff'));
      return planOf(fresh, head);
    }, { consumed: [], noted: [] });
    expect(heads).toEqual([0, 1]);
    expect(out.records.map((r) => r.seq)).toEqual([2]);
    expect(store.head().seq).toBe(2);
    assertChain();
  });

  it('another connection seals the same call meanwhile: it is counted a duplicate, sealed once', async () => {
    const d = draft('0000000000000001');
    const fresh: number[] = [];
    const out = await store.sealCalls([d], (f, head) => {
      fresh.push(f.length);
      if (fresh.length === 1) appendElsewhere(d);
      return planOf(f, head);
    }, { consumed: [], noted: [] });
    expect(fresh).toEqual([1, 0]);
    expect(out.duplicates).toBe(1);
    expect(out.records).toEqual([]);
    expect(store.db.prepare(`SELECT count(*) FROM audit_records`).pluck().get()).toBe(1);
    assertChain();
  });

  it('control: a plan that keeps the stale head (what trusting the snapshot would insert) is refused by the store', async () => {
    const calls = [draft('0000000000000001')];
    let stale: ChainHead | null = null;
    await expect(store.sealCalls(calls, (f, head) => {
      stale ??= head;
      if (stale === head) appendElsewhere(draft('00000000000000ff'));
      return planOf(f, stale);
    }, { consumed: [], noted: [] })).rejects.toThrow(/UNIQUE|constraint/i);
    expect(store.head().seq).toBe(1);
  });
});
