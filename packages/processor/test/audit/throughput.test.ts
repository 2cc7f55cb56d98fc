/**
 * The pipeline's batching under load: seal passes coalesce once a pass was large, light
 * traffic is sealed at once, and batches sealed back to back reach onSealed as one call,
 * in chain order. Nothing acknowledged waits past flush().
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuditPipeline, EMIT_BATCH, type AuditPipeline } from '../../src/audit/pipeline';
import { defaultSigningKeyPath, loadOrCreateSigningKey } from '../../src/chain/signing';
import { verifyTrail } from '../../src/chain/verify';
import { openSqliteStore, type SqliteAuditStore } from '../../src/store/sqlite';
import { AuditError } from '../../src/audit/errors';
import { auditLog, logs, memoryLogger, toolSpan, traces } from './fixtures';
import { testRedactor } from './redactor';

let dir: string;
let store: SqliteAuditStore;
let pipeline: AuditPipeline;

function open(extra: Partial<Parameters<typeof createAuditPipeline>[0]> = {}) {
  const dbPath = path.join(dir, 'trail.db');
  store = openSqliteStore({ path: dbPath });
  const signer = loadOrCreateSigningKey(defaultSigningKeyPath(dbPath));
  pipeline = createAuditPipeline({ store, redactor: testRedactor(), signer, logger: memoryLogger(), ...extra });
  return signer;
}

/** Unsampled audit log records: each seals at once (no span will come). */
const unsampled = (n: number) => logs(...Array.from({ length: n }, () => auditLog({ flags: 0 })));

/** Polls (bounded) until the trail holds `n` records; false if it never does. */
async function trailReaches(n: number, attempts = 300): Promise<boolean> {
  for (let i = 0; i < attempts; i++) {
    if ((await store.count()) >= n) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return false;
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcptrail-throughput-'));
});
afterEach(async () => {
  await pipeline?.close();
  await store?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('audit pipeline: batching under load', () => {
  it('light traffic is sealed at once, whatever sealCoalesceMs', async () => {
    open({ sealCoalesceMs: 60_000 });
    await pipeline.logs(unsampled(1));
    expect(await trailReaches(1)).toBe(true);
    await pipeline.logs(unsampled(1));
    expect(await trailReaches(2)).toBe(true);
  });

  it('after a large pass the next one waits for sealCoalesceMs; flush seals it anyway and the chain verifies', async () => {
    const signer = open({ sealCoalesceMs: 60_000 });
    await pipeline.logs(unsampled(300));
    expect(await trailReaches(300)).toBe(true);
    await pipeline.logs(unsampled(5));
    // Acknowledged (staged durably) but deferred to the next coalesced pass.
    await new Promise((r) => setTimeout(r, 50));
    expect(await store.count()).toBe(300);
    expect(pipeline.stats().staged).toBe(5);
    await pipeline.flush();
    expect(await store.count()).toBe(305);
    const report = await verifyTrail(store, signer.publicKey);
    expect(report).toMatchObject({ ok: true, records: 305 });
  });

  it('batches sealed back to back reach onSealed in calls of at most EMIT_BATCH records, in chain order', async () => {
    open();
    const calls: number[][] = [];
    pipeline.onSealed((records) => void calls.push(records.map((r) => r.seq)));
    // One staging commit; the seal pass takes it in transactions sized to stay short.
    await pipeline.logs(unsampled(10_000));
    await pipeline.flush();
    expect(calls.length).toBeGreaterThanOrEqual(10_000 / EMIT_BATCH);
    for (const c of calls) expect(c.length).toBeLessThanOrEqual(EMIT_BATCH);
    expect(calls.flat()).toEqual(Array.from({ length: 10_000 }, (_, i) => i + 1));
  }, 30_000);

  it('lone halves of a large request reach onLoneHalves in calls of at most EMIT_BATCH, each once, before the call that brings their records', async () => {
    open({ pairingWindowMs: 300, loneHalfMs: 20, sealCoalesceMs: 0 });
    const calls: Array<{ lone: boolean; ids: string[] }> = [];
    pipeline.onLoneHalves((drafts) => void calls.push({ lone: true, ids: drafts.map((d) => d.span_id!) }));
    pipeline.onSealed((records) => void calls.push({ lone: false, ids: records.map((r) => r.span_id!) }));
    // Spans alone (their audit log records never come).
    await pipeline.traces(traces(...Array.from({ length: 1000 }, () => toolSpan())));
    // Past loneHalfMs, inside the pairing window: the lone halves go out (bounded wait), then the seal.
    for (let i = 0; i < 300 && calls.filter((c) => c.lone).flatMap((c) => c.ids).length < 1000; i++) await new Promise((r) => setTimeout(r, 10));
    await pipeline.flush();
    const lone = calls.filter((c) => c.lone);
    expect(lone.length).toBeGreaterThanOrEqual(1000 / EMIT_BATCH);
    for (const c of calls) expect(c.ids.length).toBeLessThanOrEqual(EMIT_BATCH);
    const loneIds = lone.flatMap((c) => c.ids);
    expect(new Set(loneIds).size).toBe(1000);
    expect(loneIds.length).toBe(1000);
    const at = (id: string, isLone: boolean) => calls.findIndex((c) => c.lone === isLone && c.ids.includes(id));
    for (const id of loneIds) expect(at(id, true)).toBeLessThan(at(id, false));
  }, 30_000);

  it('rejects an invalid sealCoalesceMs, naming it', () => {
    const signer = open();
    const base = { store, redactor: testRedactor(), signer, logger: memoryLogger() };
    expect(() => createAuditPipeline({ ...base, sealCoalesceMs: -1 })).toThrow(AuditError);
    expect(() => createAuditPipeline({ ...base, sealCoalesceMs: Number.NaN })).toThrow(/sealCoalesceMs/);
  });
});
