/**
 * A group commit larger than one inbox slice is appended as several entries. None of its
 * requests is acknowledged before the last slice committed, so an exporter retries the
 * whole request when a later slice fails (or the process dies in between). Log records
 * without trace context have no call-once key: if the slices already committed were
 * sealed (at once, or at the next start), the retry would seal them a second time.
 * Attacker's view: a store that fails one append (disk full, SQLITE_BUSY) or a kill between
 * slices must not double any record. Control: the same census over two independent
 * acknowledged appends of the same keyless records does count them twice (the census can fail).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuditPipeline } from '../../src/audit/pipeline';
import { defaultSigningKeyPath, loadOrCreateSigningKey } from '../../src/chain/signing';
import { verifyTrail } from '../../src/chain/verify';
import { openSqliteStore, type SqliteAuditStore } from '../../src/store/sqlite';
import type { TrailStore } from '../../src/store/types';
import { auditLog, logs, memoryLogger } from './fixtures';
import { testRedactor } from './redactor';

/** More than one inbox slice (INBOX_SLICE, 500 drafts) in one request. */
const DRAFTS = 1500;

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcptrail-split-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** One request of keyless audit log records, each carrying its index in its arguments. */
const keylessBatch = () => logs(...Array.from({ length: DRAFTS }, (_, i) => auditLog({ traceId: null, spanId: null, flags: 0, args: { k: i } })));

/** The real store; its `failAt`-th append (1-based) throws once, or never settles (a process that stops there). */
function faulty(store: SqliteAuditStore, failAt: number, mode: 'throw' | 'hang'): TrailStore & { reached: Promise<void> } {
  let appends = 0;
  let reach: () => void = () => undefined;
  const reached = new Promise<void>((r) => {
    reach = r;
  });
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'reached') return reached;
      if (prop === 'appendInbox') {
        return (...args: Parameters<SqliteAuditStore['appendInbox']>) => {
          appends++;
          if (appends === failAt) reach();
          if (appends === failAt) return mode === 'throw' ? Promise.reject(new Error('SQLITE_FULL: database or disk is full')) : new Promise(() => undefined);
          return target.appendInbox(...args);
        };
      }
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  }) as unknown as TrailStore & { reached: Promise<void> };
}

function census(store: SqliteAuditStore): { missing: number; twice: number } {
  const counts = store.db.prepare(`SELECT json_extract(body, '$.args.k') AS k, count(*) AS n FROM audit_records GROUP BY k`).all() as Array<{ k: number; n: number }>;
  const byK = new Map(counts.map((c) => [c.k, c.n]));
  let missing = 0;
  let twice = 0;
  for (let i = 0; i < DRAFTS; i++) {
    const n = byK.get(i) ?? 0;
    if (n === 0) missing++;
    if (n > 1) twice++;
  }
  return { missing, twice };
}

const pipelineOn = (store: TrailStore, dbPath: string) =>
  createAuditPipeline({ store, redactor: testRedactor(), signer: loadOrCreateSigningKey(defaultSigningKeyPath(dbPath)), logger: memoryLogger() });

describe('a group commit split over several inbox entries', () => {
  it('a later slice that fails: the request is refused, its retry seals every record once', async () => {
    const dbPath = path.join(dir, 'trail.db');
    const store = openSqliteStore({ path: dbPath });
    const pipeline = pipelineOn(faulty(store, 2, 'throw'), dbPath);
    await expect(pipeline.logs(keylessBatch())).rejects.toMatchObject({ status: 503 });
    // The exporter retries after Retry-After.
    await pipeline.logs(keylessBatch());
    await pipeline.close();
    expect(census(store)).toEqual({ missing: 0, twice: 0 });
    expect(store.db.prepare(`SELECT count(*) FROM audit_inbox`).pluck().get()).toBe(0);
    expect((await verifyTrail(store, loadOrCreateSigningKey(defaultSigningKeyPath(dbPath)).publicKey)).ok).toBe(true);
    await store.close();
  });

  it('a process that stops between slices: the next start seals none of the unacknowledged request; its retry seals each once', async () => {
    const dbPath = path.join(dir, 'trail.db');
    const first = openSqliteStore({ path: dbPath });
    const hanging = faulty(first, 2, 'hang');
    const stopped = pipelineOn(hanging, dbPath);
    let acknowledged = false;
    void stopped.logs(keylessBatch()).then(() => (acknowledged = true));
    // The first slice is committed; the second append never returns (the process is gone).
    await hanging.reached;
    // Give a seal pass every chance to run on what it holds (keyless drafts are due at once).
    await new Promise((r) => setTimeout(r, 200));
    expect(acknowledged).toBe(false);
    expect(await first.count()).toBe(0);

    // Restart on the same file, then the exporter's retry of the unacknowledged request.
    const store = openSqliteStore({ path: dbPath });
    const restarted = pipelineOn(store, dbPath);
    await restarted.flush();
    expect(await store.count()).toBe(0);
    await restarted.logs(keylessBatch());
    await restarted.close();
    expect(census(store)).toEqual({ missing: 0, twice: 0 });
    expect(store.db.prepare(`SELECT count(*) FROM audit_inbox`).pluck().get()).toBe(0);
    await store.close();
    await first.close();
  });

  it('control: two acknowledged appends of the same keyless records are two records each (the census sees doubles)', async () => {
    const dbPath = path.join(dir, 'trail.db');
    const store = openSqliteStore({ path: dbPath });
    const pipeline = pipelineOn(store, dbPath);
    await pipeline.logs(keylessBatch());
    await pipeline.logs(keylessBatch());
    await pipeline.close();
    expect(census(store)).toEqual({ missing: 0, twice: DRAFTS });
    await store.close();
  });
});
