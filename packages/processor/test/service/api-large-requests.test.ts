/**
 * Bodies of 64 KiB and more are decoded and normalized in the ingest worker: the records,
 * the identity bounds and the error answers must be exactly those of the main-thread path.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { AuditRecord } from '@mcptrail/conventions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processorConfigSchema } from '../../src/config/schema';
import { createLogger } from '../../src/logger';
import { type RunningProcessor, startProcessor } from '../../src/service';
import { encodeMessage, protoSpan, TRACE_REQUEST } from '../otlp/fixtures';

const TOKEN = 'weather-token-large-1';
const READ = 'reader-token-large-2';
const dir = mkdtempSync(path.join(tmpdir(), 'mcptrail-large-'));
let p: RunningProcessor;

function spans(n: number, tag: number) {
  return Array.from({ length: n }, (_, i) => {
    const id = Buffer.alloc(8);
    id.writeUInt32BE(tag, 0);
    id.writeUInt32BE(i + 1, 4);
    return protoSpan({
      traceId: Buffer.concat([Buffer.alloc(8, 7), id]),
      spanId: id,
      parentSpanId: undefined,
      startTimeUnixNano: String(BigInt(Date.now()) * 1_000_000n),
      endTimeUnixNano: String(BigInt(Date.now() + 2) * 1_000_000n),
      status: {},
      attributes: [
        { key: 'mcp.method.name', value: { stringValue: 'tools/call' } },
        { key: 'gen_ai.tool.name', value: { stringValue: i % 2 ? 'get_weather' : 'get_forecast' } },
        { key: 'enduser.id', value: { stringValue: 'agent-7' } },
        { key: 'gen_ai.tool.call.arguments', value: { stringValue: JSON.stringify({ city: `c-${i}`, note: 'x'.repeat(40) }) } },
      ],
    });
  });
}

function request(blocks: Array<{ service: string; spans: unknown[] }>): Buffer {
  return encodeMessage(TRACE_REQUEST, {
    resourceSpans: blocks.map((b) => ({
      resource: { attributes: [{ key: 'service.name', value: { stringValue: b.service } }] },
      scopeSpans: [{ scope: { name: 's', version: '1' }, spans: b.spans }],
    })),
  });
}

async function post(body: Buffer, headers: Record<string, string> = {}) {
  const res = await fetch(`${p.url}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf', authorization: `Bearer ${TOKEN}`, ...headers },
    body,
  });
  return { status: res.status, code: res.headers.get('mcptrail-error-code') };
}

async function audit(query: string): Promise<AuditRecord[]> {
  const res = await fetch(`${p.url}/api/audit?${query}`, { headers: { authorization: `Bearer ${READ}` } });
  return ((await res.json()) as { records: AuditRecord[] }).records;
}

beforeAll(async () => {
  const config = processorConfigSchema.parse({
    log_level: 'silent',
    store: { path: path.join(dir, 'large.db') },
    receiver: { port: 0, read_token: READ },
    auth: { credentials: [{ id: 'weather', token: TOKEN, services: ['weather-mcp'] }] },
    detection: { enabled: false },
    trail: { pairing_window_ms: 20 },
  });
  p = await startProcessor(config, { logger: createLogger({ level: 'silent', redactor: null }) });
});
afterAll(async () => {
  await p.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('large requests (ingest worker)', () => {
  it('stores every span of a 64 KiB+ request with its credential, and refuses the forged service in it', async () => {
    const body = request([
      { service: 'weather-mcp', spans: spans(1500, 1) },
      { service: 'payments-mcp', spans: spans(10, 2) },
    ]);
    expect(body.length).toBeGreaterThan(64 * 1024);
    expect((await post(gzipSync(body), { 'content-encoding': 'gzip' })).status).toBe(200);
    await p.pipeline.flush();
    expect(p.pipeline.stats()).toMatchObject({ sealed: 1500, rejected: 10 });
    const sample = await audit('tool=get_weather&limit=5');
    expect(sample).toHaveLength(5);
    for (const r of sample) expect(r).toMatchObject({ service: 'weather-mcp', credential_id: 'weather', emitter_address: '127.0.0.1', actor_id: 'agent-7' });
    expect(await audit('service=payments-mcp')).toHaveLength(0);
    // The same spans again (an exporter retry): stored once.
    expect((await post(body)).status).toBe(200);
    await p.pipeline.flush();
    expect(p.pipeline.stats().sealed).toBe(1500);
  });

  it('/api/verify (a worker with its own read-only connection) succeeds while the service is writing', async () => {
    const writes = Array.from({ length: 4 }, (_, k) => post(request([{ service: 'weather-mcp', spans: spans(600, 10 + k) }])));
    const verify = fetch(`${p.url}/api/verify`, { headers: { authorization: `Bearer ${READ}` } });
    const [res, ...statuses] = await Promise.all([verify, ...writes]);
    expect(statuses.map((w) => w.status)).toEqual([200, 200, 200, 200]);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { ok: boolean }).ok).toBe(true);
  });

  it('answers 400 to an undecodable large body, and keeps serving', async () => {
    const junk = Buffer.alloc(200 * 1024, 0xff);
    const r = await post(junk);
    expect(r.status).toBe(400);
    expect(r.code).toMatch(/^MCPTRAIL_OTLP_/);
    expect((await fetch(`${p.url}/healthz`)).status).toBe(200);
  });
});
