import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AUDIT_RECORD_FIELDS, type AuditDraft } from '@mcptrail/conventions';
import { normalizeSpan } from '../../src/audit/normalize';
import { GENESIS_HASH, sealDraft } from '../../src/chain/hash';
import { buildQueryFilter } from '../../src/store/query-filter';
import { openSqliteStore, sqliteQuerySql, type SqliteAuditStore } from '../../src/store/sqlite';
import { toolSpan, START_NS } from '../audit/fixtures';
import { testRedactor } from '../audit/redactor';

let dir: string;
let store: SqliteAuditStore;

function draft(c: Parameters<typeof toolSpan>[0] = {}): AuditDraft {
  const n = normalizeSpan(toolSpan(c), { redactor: testRedactor() });
  if (n.kind !== 'draft') throw new Error('fixture span did not normalize');
  return n.draft;
}

function append(drafts: AuditDraft[]): void {
  store.db.transaction(() => {
    let head = store.head();
    for (const d of drafts) {
      const s = sealDraft(d, store.chainId, head);
      store.insertSealed([s]);
      head = { seq: s.record.seq, hash: s.record.hash };
    }
  })();
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcptrail-store-'));
  store = openSqliteStore({ path: path.join(dir, 'nested', 'trail.db') });
});
afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('openSqliteStore', () => {
  it('creates the file (and its directory) in WAL mode with synchronous=FULL', () => {
    expect(fs.existsSync(path.join(dir, 'nested', 'trail.db'))).toBe(true);
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('synchronous', { simple: true })).toBe(2);
    expect(store.head()).toEqual({ seq: 0, hash: GENESIS_HASH });
  });

  it('refuses a file written by a newer schema, naming both versions', async () => {
    const file = path.join(dir, 'future.db');
    const db = new Database(file);
    db.exec(`CREATE TABLE mcptrail_schema (component TEXT PRIMARY KEY, version INTEGER NOT NULL); INSERT INTO mcptrail_schema VALUES ('trail', 99)`);
    db.close();
    expect(() => openSqliteStore({ path: file })).toThrow(expect.objectContaining({ code: 'MCPTRAIL_ERR_STORE_SCHEMA', message: expect.stringContaining('99') }));
  });

  it('indexes only the outcomes worth looking for: error/tool_error by index, ok by the primary key; results unchanged', async () => {
    append([draft({ outcome: 'error' }), draft(), draft({ outcome: 'tool_error' }), draft()]);
    const plan = (outcome: string) =>
      store.db
        .prepare(`EXPLAIN QUERY PLAN SELECT hash, body FROM audit_records WHERE outcome = ? ${outcome === 'ok' ? '' : "AND outcome <> 'ok'"} ORDER BY chain_id, seq LIMIT 100`)
        .all(outcome)
        .map((r) => (r as { detail: string }).detail)
        .join('; ');
    expect(plan('tool_error')).toMatch(/audit_by_outcome_not_ok/);
    expect(plan('ok')).not.toMatch(/audit_by_outcome/);
    expect((await store.query({ outcome: 'tool_error' })).map((r) => r.seq)).toEqual([3]);
    expect((await store.query({ outcome: 'error' })).map((r) => r.seq)).toEqual([1]);
    expect((await store.query({ outcome: 'ok' })).map((r) => r.seq)).toEqual([2, 4]);
    // Control: the index holds only the non-ok rows.
    expect(store.db.prepare(`SELECT count(*) FROM audit_records INDEXED BY audit_by_outcome_not_ok WHERE outcome <> 'ok'`).pluck().get()).toBe(2);
    expect(store.db.prepare(`SELECT name FROM sqlite_master WHERE name = 'audit_by_outcome'`).get()).toBeUndefined();
  });

  it('rejects an unusable chain id', () => {
    expect(() => openSqliteStore({ path: path.join(dir, 'x.db'), chainId: 'a"b' })).toThrow(/'chainId'/);
  });

  it('reopens an existing file and continues its chain', async () => {
    append([draft(), draft()]);
    const file = store.path;
    await store.close();
    store = openSqliteStore({ path: file });
    expect(store.head().seq).toBe(2);
  });
});

describe('AuditStore.query', () => {
  beforeEach(() => {
    const ms = (i: number) => START_NS + BigInt(i) * 60_000_000_000n;
    append([
      draft({ tool: 'get_weather', session: 's1', actor: 'alice', startNs: ms(0) }),
      draft({ tool: 'send_email', session: 's1', actor: 'alice', startNs: ms(1), outcome: 'tool_error' }),
      draft({ tool: 'get_weather', session: 's2', actor: 'bob', startNs: ms(2), service: 'other' }),
      draft({ method: 'tools/list', session: 's2', actor: 'bob', startNs: ms(3) }),
    ]);
  });

  it('returns whole records with every schema field', async () => {
    const [r] = await store.query({ limit: 1 });
    expect(Object.keys(r!).sort()).toEqual([...AUDIT_RECORD_FIELDS].sort());
    expect(r).toMatchObject({ chain_id: 'main', seq: 1, prev_hash: GENESIS_HASH });
  });

  it('filters by session, actor, tool, outcome, method, service, trace and time', async () => {
    const seqs = async (q: Parameters<typeof store.query>[0]) => (await store.query(q)).map((r) => r.seq);
    expect(await seqs({ session_id: 's1' })).toEqual([1, 2]);
    expect(await seqs({ actor_id: 'bob' })).toEqual([3, 4]);
    expect(await seqs({ tool: 'get_weather' })).toEqual([1, 3]);
    expect(await seqs({ outcome: 'tool_error' })).toEqual([2]);
    expect(await seqs({ method: 'tools/list' })).toEqual([4]);
    expect(await seqs({ service: 'other' })).toEqual([3]);
    const [third] = await store.query({ after_seq: 2, limit: 1 });
    expect(await seqs({ trace_id: third!.trace_id! })).toEqual([3]);
    expect(await seqs({ since: '2025-11-21T04:41:00Z', until: '2025-11-21T04:43:00.000Z' })).toEqual([2, 3]);
    expect(await seqs({ actor_id: 'alice', tool: 'send_email' })).toEqual([2]);
    expect(await seqs({ after_seq: 2 })).toEqual([3, 4]);
    expect(await seqs({ limit: 2 })).toEqual([1, 2]);
    expect(store.queryOrdered({ limit: 2 }, 'desc').map((r) => r.seq)).toEqual([4, 3]);
  });

  it('rejects bad filters with the filter named', async () => {
    await expect(store.query({ outcome: 'maybe' as never })).rejects.toThrow(/'outcome'/);
    await expect(store.query({ since: 'yesterday' })).rejects.toThrow(/'since'/);
    await expect(store.query({ limit: 5000 })).rejects.toThrow(/'limit'/);
    await expect(store.query({ after_seq: -1 })).rejects.toThrow(/'after_seq'/);
    await expect(store.query({ tool: 5 as never })).rejects.toMatchObject({ code: 'MCPTRAIL_ERR_STORE_QUERY' });
  });

  it('iterates in chain order, counts and lists chains', async () => {
    const seen: number[] = [];
    for await (const r of store.iterate({ batchSize: 3 })) seen.push(r.seq);
    expect(seen).toEqual([1, 2, 3, 4]);
    const from3: number[] = [];
    for await (const r of store.iterate({ fromSeq: 3 })) from3.push(r.seq);
    expect(from3).toEqual([3, 4]);
    expect(await store.count()).toBe(4);
    expect(await store.count({ chain_id: 'other' })).toBe(0);
    expect(await store.chains()).toEqual(['main']);
  });

  it('answers a session timeline from the session index even when the service is given too', async () => {
    append([draft({ session: 'a' }), draft({ session: 'b' }), draft({ session: 'a' })]);
    const q = { session_id: 'a', service: 'weather-server', limit: 100 };
    const planOf = (sql: string, params: unknown[]) =>
      store.db
        .prepare(`EXPLAIN QUERY PLAN ${sql}`)
        .all(...params)
        .map((r) => (r as { detail: string }).detail)
        .join('; ');
    const { sql, params } = sqliteQuerySql(q, 'asc');
    expect(planOf(sql, params)).toMatch(/audit_by_session/);
    // Control: with both equalities open to the planner, it takes the service index (every record of the service).
    const open = buildQueryFilter(q, () => '?');
    expect(planOf(`SELECT hash, body FROM audit_records WHERE ${open.where.join(' AND ')} ORDER BY chain_id, seq LIMIT ?`, [...open.params, 100])).toMatch(/audit_by_service/);
    const all = await store.query({ limit: 100 });
    const expected = all.filter((r) => r.session_id === 'a').map((r) => r.seq);
    expect(expected).toHaveLength(2);
    expect((await store.query(q)).map((r) => r.seq)).toEqual(expected);
  });

  it('keeps one record per call: the (trace_id, span_id) index refuses a second', () => {
    const [first] = store.queryOrdered({ limit: 1 }, 'asc');
    const again = draft({ traceId: first!.trace_id!, spanId: first!.span_id! });
    expect(store.hasCall(first!.trace_id!, first!.span_id!)).toBe(true);
    expect(() => append([again])).toThrow(/UNIQUE/);
  });

  it('throws a typed error after close', async () => {
    await store.close();
    await expect(store.count()).rejects.toMatchObject({ code: 'MCPTRAIL_ERR_STORE_CLOSED' });
    store = openSqliteStore({ path: ':memory:' });
  });
});
