/**
 * Sealing on a worker thread (the service's default): the same pairing and chain as on the
 * receiving thread, backpressure from what the sealer holds, and a sealer thread that dies
 * turns into 503 without losing anything acknowledged. Uses the built worker (dist/).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { threadId } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditRecord } from '@mcptrail/conventions';
import { createAuditPipeline, type AuditPipeline } from '../../src/audit/pipeline';
import { defaultSigningKeyPath, loadOrCreateSigningKey } from '../../src/chain/signing';
import { verifyTrail } from '../../src/chain/verify';
import { OverloadError } from '../../src/http/receiver';
import { openSqliteStore, type SqliteAuditStore } from '../../src/store/sqlite';
import { auditLog, hex, logs, memoryLogger, toolSpan, traces } from './fixtures';
import { testRedactor } from './redactor';

let dir: string;
let dbPath: string;
let store: SqliteAuditStore;
let pipeline: AuditPipeline;

function open(extra: Partial<Parameters<typeof createAuditPipeline>[0]> = {}) {
  store = openSqliteStore({ path: dbPath });
  const keyPath = defaultSigningKeyPath(dbPath);
  const signer = loadOrCreateSigningKey(keyPath);
  pipeline = createAuditPipeline({
    store,
    redactor: testRedactor(),
    signer,
    logger: memoryLogger(),
    sealerThread: { trail: { kind: 'sqlite', path: dbPath, chainId: 'main' }, signingKeyPath: keyPath },
    ...extra,
  });
  return signer;
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcptrail-sealer-thread-'));
  dbPath = path.join(dir, 'trail.db');
});
afterEach(async () => {
  await pipeline?.close().catch(() => undefined);
  await store?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('sealer on a worker thread', () => {
  it('pairs span and log into one record, seals in chain order, checkpoints at close; the trail verifies', async () => {
    const signer = open({ checkpointEvery: { records: 10, seconds: 3600 } });
    const seen: AuditRecord[] = [];
    pipeline.onSealed((r) => void seen.push(...r));
    const traceId = hex(16);
    const spanId = hex(8);
    await pipeline.traces(traces(toolSpan({ traceId, spanId }), toolSpan()));
    await pipeline.logs(logs(auditLog({ traceId, spanId, args: { city: 'Oslo' } }), ...Array.from({ length: 20 }, () => auditLog({ flags: 0 }))));
    await pipeline.flush();
    expect(seen.map((r) => r.seq)).toEqual(Array.from({ length: 22 }, (_, i) => i + 1));
    expect(seen.find((r) => r.span_id === spanId)).toMatchObject({ source: 'span+log', args: { city: 'Oslo' } });
    expect(pipeline.stats()).toMatchObject({ sealed: 22, staged: 0 });
    await pipeline.close();
    // One by count after the first seal batch (21 records), the last at close.
    expect((await store.checkpoints('main')).map((c) => c.seq)).toEqual([0, 21, 22]);
    expect(await verifyTrail(store, signer.publicKey)).toMatchObject({ ok: true, records: 22 });
    // The listeners run on the receiving thread; the records were sealed on another one.
    expect(threadId).toBe(0);
  });

  it('hands a lone half over for detection before it seals it, once; its late partner still merges into one record', async () => {
    open({ pairingWindowMs: 60_000, loneHalfMs: 50 });
    const events: string[] = [];
    pipeline.onLoneHalves((drafts) => void events.push(...drafts.map((d) => `lone:${d.span_id}:${d.source}`)));
    pipeline.onSealed((records) => void events.push(...records.map((r) => `sealed:${r.span_id}:${r.source}`)));
    const c = { traceId: hex(16), spanId: hex(8) };
    await pipeline.logs(logs(auditLog({ ...c, args: { city: 'Oslo' } })));
    for (let i = 0; i < 200 && events.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
    expect(events).toEqual([`lone:${c.spanId}:log`]);
    await pipeline.traces(traces(toolSpan(c)));
    await pipeline.flush();
    expect(events).toEqual([`lone:${c.spanId}:log`, `sealed:${c.spanId}:span+log`]);
  });

  it('what the sealer holds counts against maxStaged: 503 + Retry-After, nothing accepted is lost', async () => {
    open({ maxStaged: 3, pairingWindowMs: 60_000 });
    await pipeline.traces(traces(toolSpan(), toolSpan()));
    const err = await pipeline.traces(traces(toolSpan(), toolSpan())).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OverloadError);
    expect(err).toMatchObject({ status: 503 });
    await pipeline.flush();
    expect(await store.count()).toBe(2);
    expect(pipeline.stats().staged).toBe(0);
    await pipeline.traces(traces(toolSpan(), toolSpan()));
  });

  it('a sealer thread that cannot start: sealing falls back to the receiving thread, with a warning', async () => {
    const logger = memoryLogger();
    const keyPath = defaultSigningKeyPath(dbPath);
    const signer = open({ logger, sealerThread: { trail: { kind: 'sqlite', path: dbPath, chainId: 'main' }, signingKeyPath: keyPath, workerPath: path.join(dir, 'missing-worker.js') } });
    await pipeline.traces(traces(toolSpan(), toolSpan()));
    await pipeline.flush();
    expect(await store.count()).toBe(2);
    expect(logger.lines.some((l) => l.level === 'warn' && l.msg.includes('sealing on the receiving thread'))).toBe(true);
    await pipeline.close();
    expect((await verifyTrail(store, signer.publicKey)).ok).toBe(true);
  });

  it('a sealer thread that dies: 503 from then on; what it held is sealed by the next start', async () => {
    open({ pairingWindowMs: 60_000 });
    await pipeline.traces(traces(toolSpan(), toolSpan(), toolSpan()));
    // Kill the worker as a crash would (the stage's thread is private; reached for the test only).
    await (pipeline as unknown as { stage: { worker: { terminate(): Promise<number> } } }).stage.worker.terminate();
    await expect(pipeline.traces(traces(toolSpan()))).rejects.toMatchObject({ status: 503 });
    expect(await store.count()).toBe(0);
    await store.close();
    open({ pairingWindowMs: 60_000 });
    await pipeline.flush();
    expect(await store.count()).toBe(3);
    expect(store.db.prepare(`SELECT count(*) FROM audit_inbox`).pluck().get()).toBe(0);
  });
});
