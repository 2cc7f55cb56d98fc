/**
 * Small requests that arrive while a large group commit is being appended slice by slice are
 * committed between its slices as their own inbox entry, and acknowledged then (not after
 * the whole large commit). Attacker's view (a flood of 8 MiB requests to starve everyone
 * else, then a crash): what was acknowledged between the slices survives a stop before the
 * large commit closed, nothing of the unacknowledged large request is sealed, its retry
 * seals each record once, and the chain (entries sealed out of inbox-id order) verifies.
 * Control: a small request queued while the *closing* slice is in flight waits for it (it
 * is not acknowledged while that append hangs), so the "acknowledged before" check can fail.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuditPipeline, INBOX_SLICE } from '../../src/audit/pipeline';
import { defaultSigningKeyPath, loadOrCreateSigningKey } from '../../src/chain/signing';
import { verifyTrail } from '../../src/chain/verify';
import { openSqliteStore, type SqliteAuditStore } from '../../src/store/sqlite';
import type { TrailStore } from '../../src/store/types';
import { auditLog, logs, memoryLogger } from './fixtures';
import { testRedactor } from './redactor';

/** Three slices. */
const BIG = INBOX_SLICE * 2 + 100;
const SMALL = 20;

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcptrail-interleave-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Keyless audit log records (no call-once key): `tag` and each one's index in its arguments. */
const batch = (tag: string, n: number) => logs(...Array.from({ length: n }, (_, i) => auditLog({ traceId: null, spanId: null, flags: 0, args: { tag, i } })));

/**
 * The real store; appends (counted from 1) named in `gates` wait for `release()` before they
 * run, or never run (`hang`: a process that stopped there). `reached(n)` resolves when append n starts.
 */
function gated(store: SqliteAuditStore, gates: Record<number, 'release' | 'hang'>) {
  let appends = 0;
  const started = new Map<number, { promise: Promise<void>; resolve: () => void }>();
  const reached = (n: number) => {
    if (!started.has(n)) {
      let resolve: () => void = () => undefined;
      const promise = new Promise<void>((r) => (resolve = r));
      started.set(n, { promise, resolve });
    }
    return started.get(n)!;
  };
  let release: () => void = () => undefined;
  const released = new Promise<void>((r) => (release = r));
  const proxy = new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'appendInbox') {
        return async (...args: Parameters<SqliteAuditStore['appendInbox']>) => {
          const n = ++appends;
          reached(n).resolve();
          if (gates[n] === 'hang') return new Promise<number>(() => undefined);
          if (gates[n] === 'release') await released;
          return target.appendInbox(...args);
        };
      }
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  }) as unknown as TrailStore;
  return { store: proxy, reached: (n: number) => reached(n).promise, release };
}

function census(store: SqliteAuditStore): Map<string, { missing: number; twice: number }> {
  const rows = store.db
    .prepare(`SELECT json_extract(body, '$.args.tag') AS tag, json_extract(body, '$.args.i') AS i, count(*) AS n FROM audit_records GROUP BY tag, i`)
    .all() as Array<{ tag: string; i: number; n: number }>;
  const out = new Map<string, { missing: number; twice: number }>();
  for (const [tag, size] of [
    ['big', BIG],
    ['small', SMALL],
  ] as const) {
    const byI = new Map(rows.filter((r) => r.tag === tag).map((r) => [r.i, r.n]));
    let missing = 0;
    let twice = 0;
    for (let i = 0; i < size; i++) {
      const n = byI.get(i) ?? 0;
      if (n === 0) missing++;
      if (n > 1) twice++;
    }
    out.set(tag, { missing, twice });
  }
  return out;
}

const signerOf = (dbPath: string) => loadOrCreateSigningKey(defaultSigningKeyPath(dbPath));
const pipelineOn = (store: TrailStore, dbPath: string) => createAuditPipeline({ store, redactor: testRedactor(), signer: signerOf(dbPath), logger: memoryLogger() });
const tick = () => new Promise((r) => setTimeout(r, 50));

describe('small requests between the slices of a split group commit', () => {
  it('are acknowledged before the split commit closes, and the trail seals both exactly once', async () => {
    const dbPath = path.join(dir, 'trail.db');
    const store = openSqliteStore({ path: dbPath });
    // Append 2 is the big request's second slice: hold it while the small request arrives.
    const g = gated(store, { 2: 'release' });
    const pipeline = pipelineOn(g.store, dbPath);
    const order: string[] = [];
    const big = pipeline.logs(batch('big', BIG)).then(() => order.push('big'));
    await g.reached(2);
    const small = pipeline.logs(batch('small', SMALL)).then(() => order.push('small'));
    await tick();
    expect(order).toEqual([]);
    await releaseAndExpectSmallFirst({ g, pipeline, store, dbPath, order, acks: [big, small] });
  });

  /** Lets the held slice go; the small request must have been acknowledged first, and both sealed exactly once. */
  async function releaseAndExpectSmallFirst(t: {
    g: { release(): void };
    pipeline: { close(): Promise<void> };
    store: SqliteAuditStore;
    dbPath: string;
    order: string[];
    acks: Promise<unknown>[];
  }): Promise<void> {
    t.g.release();
    await Promise.all(t.acks);
    expect(t.order).toEqual(['small', 'big']);
    await t.pipeline.close();
    await expectBothSealedOnce(t.store, t.dbPath);
    await t.store.close();
  }

  it('queued in the same group commit as a large one, they are appended first and acknowledged before its slices', async () => {
    const dbPath = path.join(dir, 'trail.db');
    const store = openSqliteStore({ path: dbPath });
    const g = gated(store, { 2: 'release' });
    const pipeline = pipelineOn(g.store, dbPath);
    const order: string[] = [];
    // Both arrive before the group commit starts (it is scheduled for the next turn).
    const big = pipeline.logs(batch('big', BIG)).then(() => order.push('big'));
    const small = pipeline.logs(batch('small', SMALL)).then(() => order.push('small'));
    // Append 2 is held: without the small-first rule it is the big request's second slice, and the small one waits.
    await g.reached(2);
    await tick();
    expect(order).toEqual(['small']);
    await releaseAndExpectSmallFirst({ g, pipeline, store, dbPath, order, acks: [big, small] });
  });

  it('a stop before the closing slice: the small request (acknowledged) survives, the big one is sealed once after its retry', async () => {
    const dbPath = path.join(dir, 'trail.db');
    const first = openSqliteStore({ path: dbPath });
    // Appends: 1 big slice 1, 2 big slice 2 (held), 3 the small request, 4 big slice 3 (closing: never returns).
    const g = gated(first, { 2: 'release', 4: 'hang' });
    const stopped = pipelineOn(g.store, dbPath);
    let bigAcked = false;
    void stopped.logs(batch('big', BIG)).then(() => (bigAcked = true));
    await g.reached(2);
    let smallAcked = false;
    const small = stopped.logs(batch('small', SMALL)).then(() => (smallAcked = true));
    g.release();
    await small;
    // Control: a small request queued while the closing slice hangs is not acknowledged.
    let lateAcked = false;
    void stopped.logs(batch('late', 5)).then(() => (lateAcked = true));
    await tick();
    await tick();
    expect(smallAcked).toBe(true);
    expect(bigAcked).toBe(false);
    expect(lateAcked).toBe(false);

    // Restart on the same file (the first process is gone), then the exporter's retry of the big request.
    const store = openSqliteStore({ path: dbPath });
    const restarted = pipelineOn(store, dbPath);
    await restarted.flush();
    expect(census(store).get('big')).toEqual({ missing: BIG, twice: 0 });
    expect(census(store).get('small')).toEqual({ missing: 0, twice: 0 });
    await restarted.logs(batch('big', BIG));
    await restarted.close();
    await expectBothSealedOnce(store, dbPath);
    await store.close();
    await first.close();
  });
});

/** Every record of both requests sealed exactly once, nothing left in the inbox, and the chain verifies. */
async function expectBothSealedOnce(store: SqliteAuditStore, dbPath: string): Promise<void> {
  expect(census(store)).toEqual(
    new Map([
      ['big', { missing: 0, twice: 0 }],
      ['small', { missing: 0, twice: 0 }],
    ]),
  );
  expect(await store.count()).toBe(BIG + SMALL);
  expect(store.db.prepare(`SELECT count(*) FROM audit_inbox`).pluck().get()).toBe(0);
  expect((await verifyTrail(store, signerOf(dbPath).publicKey)).ok).toBe(true);
}
