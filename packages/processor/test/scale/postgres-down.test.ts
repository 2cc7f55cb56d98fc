/**
 * PostgreSQL down under a running `mcptrail serve` (built dist): OTLP/HTTP answers 503 with
 * Retry-After and OTLP/gRPC UNAVAILABLE with retry info, never 200 for data it could not
 * store; when PostgreSQL is back the retried requests succeed and every acknowledged
 * span is in the trail.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postTraces, tracesRequest } from '../cli/spawn';
import { encodeMessage, TRACE_REQUEST } from '../otlp/fixtures';
import { type PgCluster, pgAvailability, startPgCluster } from './pg-cluster';
import { exportTraces, type Replica, startReplica, stopReplica } from './replicas';

const { bin, skip } = pgAvailability();

function grpcSpan(spanId: string) {
  return encodeMessage(TRACE_REQUEST, {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'grpc-svc' } }] },
        scopeSpans: [
          {
            scope: { name: 'test' },
            spans: [
              {
                traceId: Buffer.from('4bf92f3577b34da6a3ce929d0e0e4736', 'hex'),
                spanId: Buffer.from(spanId, 'hex'),
                name: 'tools/call ping',
                kind: 2,
                startTimeUnixNano: String(BigInt(Date.now()) * 1_000_000n),
                endTimeUnixNano: String(BigInt(Date.now() + 1) * 1_000_000n),
                attributes: [
                  { key: 'mcp.method.name', value: { stringValue: 'tools/call' } },
                  { key: 'gen_ai.tool.name', value: { stringValue: 'ping' } },
                ],
              },
            ],
          },
        ],
      },
    ],
  });
}

describe.skipIf(skip)('PostgreSQL down under a running replica', () => {
  let cluster: PgCluster;
  let dir: string;
  let replica: Replica | null = null;

  beforeAll(async () => {
    cluster = await startPgCluster(bin!);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcptrail-pgdown-'));
    fs.writeFileSync(path.join(dir, 'mcptrail.yaml'), 'trail:\n  pairing_window_ms: 0\n');
  }, 120_000);

  afterAll(async () => {
    if (replica) {
      replica.served.child.kill('SIGKILL');
      await replica.served.exited;
    }
    cluster?.destroy();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers 503 + Retry-After / UNAVAILABLE + RetryInfo, then recovers without losing anything acknowledged', async () => {
    replica = await startReplica({
      id: 'r1',
      dbUrl: cluster.url,
      stateDir: path.join(dir, 'state'),
      keyFile: path.join(dir, 'key.pem'),
      configFile: path.join(dir, 'mcptrail.yaml'),
    });
    const acked: string[] = [];
    const before = tracesRequest(3, 'sess-before');
    expect(await postTraces(replica.httpUrl, before.body)).toBe(200);
    acked.push(...before.spanIds);

    cluster.stop('immediate');
    // Let the replica notice (pooled connections drop) before asserting it is still up.
    await new Promise((r) => setTimeout(r, 300));
    expect(replica.served.child.exitCode, replica.served.stderr()).toBeNull();
    try {
      const during = tracesRequest(2, 'sess-during');
      const res = await fetch(`${replica.httpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: during.body });
      await res.arrayBuffer();
      expect(res.status).toBe(503);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);

      const g = await exportTraces(replica.grpcAddress, grpcSpan('00f067aa0ba902b7'));
      expect(g.err?.code).toBe(grpc.status.UNAVAILABLE);
      expect(g.err?.metadata.get('grpc-status-details-bin').length, 'RetryInfo in status details').toBe(1);
    } finally {
      cluster.start();
    }

    // The exporters retry: once PostgreSQL is back the same requests are acknowledged.
    const after = tracesRequest(2, 'sess-after');
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = await postTraces(replica.httpUrl, after.body);
      if (status !== 200) await new Promise((r) => setTimeout(r, 200));
    }
    expect(status).toBe(200);
    acked.push(...after.spanIds);
    expect((await exportTraces(replica.grpcAddress, grpcSpan('00f067aa0ba902b7'))).err).toBeNull();
    acked.push('00f067aa0ba902b7');

    expect(await stopReplica(replica)).toEqual({ code: 0, signal: null });
    replica = null;
    const pg = new Client({ connectionString: cluster.url });
    await pg.connect();
    const stored = (await pg.query<{ span_id: string }>('SELECT span_id FROM audit_records')).rows.map((r) => r.span_id);
    await pg.end();
    expect(stored.sort()).toEqual([...acked].sort());
  }, 120_000);
});
