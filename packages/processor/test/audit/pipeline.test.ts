import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditRecord } from '@mcptrail/conventions';
import { createAuditPipeline, type AuditPipeline } from '../../src/audit/pipeline';
import { loadOrCreateSigningKey, defaultSigningKeyPath, publicKeyPathFor } from '../../src/chain/signing';
import { verifyTrail } from '../../src/chain/verify';
import { openSqliteStore, type SqliteAuditStore } from '../../src/store/sqlite';
import { OverloadError } from '../../src/http/receiver';
import { auditLog, hex, logs, memoryLogger, toolSpan, traces } from './fixtures';
import { testRedactor } from './redactor';

let dir: string;
let store: SqliteAuditStore;
let pipeline: AuditPipeline;
let now: number;
const clock = () => now;

function open(extra: Partial<Parameters<typeof createAuditPipeline>[0]> = {}) {
  const dbPath = path.join(dir, 'trail.db');
  store = openSqliteStore({ path: dbPath });
  const signer = loadOrCreateSigningKey(defaultSigningKeyPath(dbPath));
  pipeline = createAuditPipeline({ store, redactor: testRedactor(), signer, logger: memoryLogger(), clock, pairingWindowMs: 1000, ...extra });
  return { dbPath, signer };
}

async function sealed(): Promise<AuditRecord[]> {
  return store.query({ limit: 1000 });
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcptrail-pipeline-'));
  now = Date.parse('2026-11-21T10:00:00Z');
});
afterEach(async () => {
  await pipeline?.close();
  await store?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('audit pipeline: span/log pairing', () => {
  it('a span alone seals after the pairing window, not before', async () => {
    open();
    const span = toolSpan();
    await pipeline.traces(traces(span));
    // The call is durably staged (acknowledged) but still waiting for its log record.
    expect(await store.count()).toBe(0);
    expect(pipeline.stats().staged).toBe(1);
    now += 1001;
    await pipeline.flush();
    const [rec] = await sealed();
    expect(rec).toMatchObject({ seq: 1, source: 'span', tool: 'get_weather', span_id: span.spanId, trace_id: span.traceId, side: 'server' });
  });

  it.each(['span first', 'log first'])('span and log of one call become one record (%s)', async (order) => {
    open();
    const traceId = hex(16);
    const spanId = hex(8);
    const span = toolSpan({ traceId, spanId });
    const log = auditLog({ traceId, spanId, args: { city: 'Paris' } });
    const seen: AuditRecord[] = [];
    pipeline.onSealed((r) => void seen.push(...r));
    if (order === 'span first') {
      await pipeline.traces(traces(span));
      await pipeline.logs(logs(log));
    } else {
      await pipeline.logs(logs(log));
      await pipeline.traces(traces(span));
    }
    // Both halves present: sealed without waiting for the window.
    await new Promise((r) => setTimeout(r, 20));
    const records = await sealed();
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      source: 'span+log',
      args: { city: 'Paris' },
      result: { content_count: 1, content_types: ['text'], size: 64, is_error: false },
      duration_ms: 12.5,
      jsonrpc_request_id: '7',
      client_name: 'agent-x',
    });
    await pipeline.flush();
    expect(seen.map((r) => r.seq)).toEqual([1]);
  });

  it('drops exporter retries: the same span twice, before and after sealing', async () => {
    open();
    const span = toolSpan();
    await pipeline.traces(traces(span));
    await pipeline.traces(traces(span));
    now += 2000;
    await pipeline.flush();
    await pipeline.traces(traces(span));
    await pipeline.logs(logs(auditLog({ traceId: span.traceId, spanId: span.spanId })));
    now += 2000;
    await pipeline.flush();
    expect(await store.count()).toBe(1);
    expect(pipeline.stats().duplicates).toBe(1);
  });

  it('a log record without trace context, or unsampled, seals at once', async () => {
    open();
    await pipeline.logs(logs(auditLog({ traceId: null as unknown as string, spanId: null as unknown as string })));
    await pipeline.logs(logs(auditLog({ flags: 0 })));
    await new Promise((r) => setTimeout(r, 20));
    const records = await sealed();
    expect(records.map((r) => r.source)).toEqual(['log', 'log']);
    expect(records[0]!.trace_id).toBeNull();
  });

  it('counts unusable MCP spans into partial success and ignores non-MCP spans', async () => {
    open();
    const plain = toolSpan();
    plain.attributes = { 'http.request.method': 'GET' };
    const res = await pipeline.traces({ spans: [toolSpan({ noTool: true }), plain, toolSpan()], rejected: 2, rejectReason: 'bad span id length' });
    expect(res.rejected).toBe(3);
    expect(res.message).toBe('bad span id length');
    const only = await pipeline.traces(traces(toolSpan({ noTool: true })));
    expect(only).toEqual({ rejected: 1, message: expect.stringContaining("has no 'gen_ai.tool.name'") });
    await pipeline.flush();
    expect(await store.count()).toBe(1);
  });

  it('answers OverloadError (503 + Retry-After) when staging is full, and keeps what it had', async () => {
    open({ maxStaged: 3 });
    await pipeline.traces(traces(toolSpan(), toolSpan()));
    const err = await pipeline.traces(traces(toolSpan(), toolSpan())).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OverloadError);
    expect((err as OverloadError).status).toBe(503);
    expect((err as OverloadError).retryAfterSeconds).toBeGreaterThanOrEqual(1);
    await pipeline.flush();
    expect(await store.count()).toBe(2);
    await pipeline.traces(traces(toolSpan(), toolSpan()));
  });

  it('signs checkpoints every N records and at close; the trail verifies', async () => {
    const { dbPath } = open({ checkpointEvery: { records: 5, seconds: 3600 } });
    for (let i = 0; i < 12; i++) await pipeline.logs(logs(auditLog({ flags: 0 })));
    await pipeline.flush();
    // 0: the genesis checkpoint signed when the chain is created.
    expect((await store.checkpoints('main')).map((c) => c.seq)).toEqual([0, 5, 10]);
    await pipeline.close();
    expect((await store.checkpoints('main')).map((c) => c.seq)).toEqual([0, 5, 10, 12]);
    const report = await verifyTrail(store, fs.readFileSync(publicKeyPathFor(defaultSigningKeyPath(dbPath)), 'utf8'));
    expect(report).toMatchObject({ ok: true, records: 12 });
    expect(report.chains[0]).toMatchObject({ chain_id: 'main', first_seq: 1, last_seq: 12, checkpoints: 4, problem: null });
  });

  it('seals drafts staged before a restart', async () => {
    open();
    await pipeline.traces(traces(toolSpan(), toolSpan()));
    // Simulate a crash: drop the pipeline without flushing.
    await store.close();
    const reopened = open();
    void reopened;
    now += 5000;
    await pipeline.flush();
    expect(await store.count()).toBe(2);
  });

  it('keeps going when an onSealed listener throws, and logs it', async () => {
    const logger = memoryLogger();
    open({ logger });
    const got: number[] = [];
    pipeline.onSealed(() => {
      throw new Error('sink down');
    });
    pipeline.onSealed((r) => void got.push(...r.map((x) => x.seq)));
    await pipeline.logs(logs(auditLog({ flags: 0 }), auditLog({ flags: 0 })));
    await pipeline.flush();
    expect(got).toEqual([1, 2]);
    expect(logger.lines.some((l) => l.level === 'error' && l.msg.includes('listener failed'))).toBe(true);
  });

  it('signs a checkpoint on the timer when records arrived since the last one', async () => {
    open({ checkpointEvery: { records: 1000, seconds: 0.05 } });
    await pipeline.logs(logs(auditLog({ flags: 0 })));
    await pipeline.flush();
    for (let i = 0; i < 100 && (await store.checkpoints('main')).length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    expect((await store.checkpoints('main')).map((c) => c.seq)).toEqual([0, 1]);
  });

  it('refuses data after close with 503, and rejects invalid options naming them', async () => {
    open();
    await pipeline.close();
    await expect(pipeline.traces(traces(toolSpan()))).rejects.toMatchObject({ status: 503 });
    expect(() =>
      createAuditPipeline({ store, redactor: testRedactor(), signer: loadOrCreateSigningKey(path.join(dir, 'k.pem')), logger: memoryLogger(), checkpointEvery: { records: 0, seconds: 1 } }),
    ).toThrow(expect.objectContaining({ code: 'MCPTRAIL_ERR_AUDIT_OPTIONS', message: expect.stringContaining("'checkpointEvery.records'") }));
  });
});
