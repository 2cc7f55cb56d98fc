import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type { AuditRecord } from '@mcptrail/conventions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { loadConfig } from '../../src/config/sources';
import { createLogger } from '../../src/logger';
import { type RunningProcessor, startProcessor } from '../../src/service';
import { createEmitter, type WireFormat } from './telemetry';

const dir = mkdtempSync(path.join(tmpdir(), 'mcptrail-e2e-'));
const db = path.join(dir, 'trail.db');
let processor: RunningProcessor;

beforeAll(async () => {
  const config = loadConfig({ flags: { db, port: '0', 'grpc-port': '0', 'log-level': 'warn' } });
  processor = await startProcessor(config, { logger: createLogger({ level: 'silent', redactor: null }) });
});
afterAll(async () => {
  await processor.close();
  rmSync(dir, { recursive: true, force: true });
});

async function runCli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (d) => (stdout += d));
  err.on('data', (d) => (stderr += d));
  const code = await main(argv, { stdout: out, stderr: err, env: {} });
  return { code, stdout, stderr };
}

const COMBOS: Array<{ format: WireFormat; gzip: boolean }> = [
  { format: 'proto', gzip: false },
  { format: 'proto', gzip: true },
  { format: 'json', gzip: false },
  { format: 'json', gzip: true },
  { format: 'grpc', gzip: true },
];
const CALLS = 5;

describe('real OTel exporters → processor over OTLP/HTTP and OTLP/gRPC → trail', () => {
  const sessions: Array<{ session: string; ids: Array<{ traceId: string; spanId: string }> }> = [];

  for (const combo of COMBOS) {
    const session = `sess-${combo.format}-${combo.gzip ? 'gzip' : 'plain'}`;
    it(`exactly one audit record per call (${combo.format}, gzip ${combo.gzip})`, async () => {
      const emitter = createEmitter(combo.format === 'grpc' ? `http://${processor.grpc!.address}` : processor.url, combo);
      const ids = Array.from({ length: CALLS }, (_, i) => emitter.call({ tool: i % 2 ? 'get_weather' : 'get_forecast', session }));
      await emitter.shutdown();
      // Both halves of each call were acknowledged; seal whatever still waits for its partner window.
      await processor.pipeline.flush();

      const res = await fetch(`${processor.url}/api/audit?session=${session}&limit=100`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { records: AuditRecord[]; count: number };
      expect(body.count).toBe(CALLS);
      const bySpan = new Map(body.records.map((r) => [r.span_id, r]));
      for (const id of ids) {
        const r = bySpan.get(id.spanId);
        expect(r, id.spanId).toBeDefined();
        expect(r!.trace_id).toBe(id.traceId);
        expect(r!.source).toBe('span+log');
        expect(r!.service).toBe('weather-mcp');
        expect(r!.session_id).toBe(session);
        expect(r!.outcome).toBe('ok');
        expect(r!.args).toEqual({ city: 'Paris' });
      }
      sessions.push({ session, ids });
    });
  }

  it('mcptrail query --json and verify agree with the API', async () => {
    expect(sessions).toHaveLength(COMBOS.length);
    for (const { session, ids } of sessions) {
      const { code, stdout } = await runCli(['query', '--db', db, '--session', session, '--json']);
      expect(code).toBe(0);
      const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as AuditRecord);
      expect(lines.map((r) => r.span_id).sort()).toEqual(ids.map((i) => i.spanId).sort());
    }
    const table = await runCli(['query', '--db', db, '--tool', 'get_weather']);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^CHAIN\s+SEQ\s+TIME/);
    const verify = await runCli(['verify', '--db', db, '--json']);
    expect(verify.code).toBe(0);
    const report = JSON.parse(verify.stdout);
    expect(report.ok).toBe(true);
    expect(report.records).toBe(CALLS * COMBOS.length);
  });
});
