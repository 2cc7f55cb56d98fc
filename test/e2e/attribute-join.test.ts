/**
 * Where each attribute is (issue 15): a server's tools/call span carries the per-session constants (peers,
 * protocol version, transport) and its audit record the per-call payload (argument hash and size, result
 * summary, outcome), each under OpenTelemetry JS's 20-attribute step. The processor merges the span and the
 * record of one call, so the sealed record must hold all of it; when the span is not sampled, the record alone
 * must. Real MCP SDK, real OpenTelemetry SDK and OTLP protobuf serialisation, the real processor pipeline on
 * SQLite. Control: the same call's span alone lacks the payload, its record alone lacks the peers.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { context, propagation, ROOT_CONTEXT } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { ProtobufLogsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { AlwaysOffSampler, BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { AuditRecord } from '@mcptrail/conventions';
import { McpInstrumentation } from '@mcptrail/instrumentation-mcp';
import { createAuditPipeline, decodeLogs, decodeTraces, loadOrCreateSigningKey, openSqliteStore, silentLogger } from '@mcptrail/processor';
import { createRedactor } from '@mcptrail/redact';

const nodeRequire = createRequire(import.meta.url);
const HMAC_KEY = 'attribute-join-test-key';

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());

interface Emitted {
  spans: InMemorySpanExporter;
  logs: InMemoryLogRecordExporter;
}

/** One instrumented McpServer and Client in process; `sampled: false` drops every span at the sampler. */
async function callOnce(sampled: boolean): Promise<Emitted> {
  const spans = new InMemorySpanExporter();
  const logs = new InMemoryLogRecordExporter();
  const resource = resourceFromAttributes({ 'service.name': 'join-test' });
  const tracerProvider = new BasicTracerProvider({
    resource,
    spanProcessors: [new SimpleSpanProcessor(spans)],
    ...(sampled ? {} : { sampler: new AlwaysOffSampler() }),
  });
  const loggerProvider = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter: logs })] });
  const instrumentation = new McpInstrumentation({ enabled: false, redaction: { hmacKey: HMAC_KEY, hmacKeyId: 'j1' } });
  instrumentation.setTracerProvider(tracerProvider);
  instrumentation.setLoggerProvider(loggerProvider);
  instrumentation.enable();
  const sdk = (p: string) => nodeRequire(`@modelcontextprotocol/sdk/${p}`);
  instrumentation.patchSdkModule(sdk('shared/protocol.js'), 'shared/protocol');
  instrumentation.patchSdkModule(sdk('server/mcp.js'), 'server/mcp');
  const { McpServer } = sdk('server/mcp.js');
  const { Client } = sdk('client/index.js');
  const { InMemoryTransport } = sdk('inMemory.js');
  const { z } = createRequire(nodeRequire.resolve('@modelcontextprotocol/sdk/server/mcp.js'))('zod');
  const server = new McpServer({ name: 'orders', version: '3.1.4' });
  server.registerTool(
    'lookup_order',
    { description: 'Look up an order', inputSchema: { orderId: z.string() }, annotations: { destructiveHint: false } },
    async ({ orderId }: { orderId: string }) => ({ content: [{ type: 'text', text: `order ${orderId}: shipped` }] }),
  );
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  // In-memory delivery is synchronous: cut the caller's context so only `_meta` links the two sides.
  for (const t of [clientTransport, serverTransport]) {
    let handler: ((...a: unknown[]) => void) | undefined;
    Object.defineProperty(t, 'onmessage', {
      configurable: true,
      get: () => handler,
      set(fn) {
        handler = fn && ((...a: unknown[]) => context.with(ROOT_CONTEXT, () => fn(...a)));
      },
    });
  }
  await server.connect(serverTransport);
  const client = new Client({ name: 'billing-agent', version: '0.9.1' });
  await client.connect(clientTransport);
  await client.listTools();
  spans.reset();
  logs.reset();
  await client.callTool({ name: 'lookup_order', arguments: { orderId: 'A-1042' } });
  await new Promise<void>((r) => setImmediate(r));
  await client.close();
  instrumentation.disable();
  return { spans, logs };
}

let dir: string;
const sealed: Record<'sampled' | 'unsampled', AuditRecord[]> = { sampled: [], unsampled: [] };
const emitted: Partial<Record<'sampled' | 'unsampled', Emitted>> = {};

async function seal(which: 'sampled' | 'unsampled', e: Emitted): Promise<AuditRecord[]> {
  const dbPath = path.join(dir, `${which}.db`);
  const store = openSqliteStore({ path: dbPath });
  const signer = loadOrCreateSigningKey(path.join(dir, `${which}.key`));
  let now = Date.now();
  const pipeline = createAuditPipeline({
    store,
    redactor: createRedactor({ hmacKey: HMAC_KEY, hmacKeyId: 'j1' }),
    signer,
    logger: silentLogger,
    clock: () => now,
  });
  try {
    // Server spans only: the processor's default (client spans are a fallback for uninstrumented servers).
    const serverSpans = e.spans.getFinishedSpans().filter((s) => s.attributes['mcp.side'] === 'server');
    if (serverSpans.length > 0) await pipeline.traces(decodeTraces(ProtobufTraceSerializer.serializeRequest(serverSpans)!, 'protobuf'));
    await pipeline.logs(decodeLogs(ProtobufLogsSerializer.serializeRequest(e.logs.getFinishedLogRecords())!, 'protobuf'));
    now += 60_000; // past every pairing window
    await pipeline.flush();
    return await store.query({ limit: 100 });
  } finally {
    await pipeline.close();
    await store.close();
  }
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcptrail-attribute-join-'));
  for (const which of ['sampled', 'unsampled'] as const) {
    emitted[which] = await callOnce(which === 'sampled');
    sealed[which] = await seal(which, emitted[which]!);
  }
}, 60_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('span + audit record of one call: the sealed record holds every field', () => {
  it.each(['sampled', 'unsampled'] as const)('%s server span', (which) => {
    const records = sealed[which].filter((r) => r.method === 'tools/call');
    expect(records).toHaveLength(1);
    const [r] = records as [AuditRecord];
    expect(r).toMatchObject({
      tool: 'lookup_order',
      outcome: 'ok',
      side: 'server',
      client_name: 'billing-agent',
      client_version: '0.9.1',
      server_name: 'orders',
      server_version: '3.1.4',
      tool_destructive: false,
      source: which === 'sampled' ? 'span+log' : 'log',
    });
    expect(r.protocol_version).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(r.session_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.args_hash).toMatch(/^hmac:j1:[0-9a-f]{64}$/);
    expect(r.args_size).toBe(Buffer.byteLength('{"orderId":"A-1042"}'));
    expect(r.tool_schema_version).toMatch(/^sha256:[0-9a-f]{16}$/);
    expect(JSON.stringify(r.result)).toMatch(/"content_count":1/);
  });

  it('control: each half alone lacks what the other carries, and both stay under the 20-attribute step', () => {
    const e = emitted.sampled!;
    const span = e.spans.getFinishedSpans().find((s) => s.attributes['mcp.side'] === 'server' && s.name === 'tools/call lookup_order')!;
    const [log] = e.logs.getFinishedLogRecords().filter((l) => l.eventName === 'mcp.audit.tool_call');
    expect(span.attributes['mcp.client.name']).toBe('billing-agent');
    expect(span.attributes['mcp.tool.arguments.hash']).toBeUndefined();
    expect(log!.attributes['mcp.tool.arguments.hash']).toMatch(/^hmac:j1:/);
    expect(log!.attributes['mcp.client.name']).toBeUndefined();
    expect(Object.keys(span.attributes).length).toBeLessThan(20);
    expect(Object.keys(log!.attributes).length).toBeLessThan(20);
    // Unsampled: no span at all, so the record carries the session's constants itself.
    const [alone] = emitted.unsampled!.logs.getFinishedLogRecords().filter((l) => l.eventName === 'mcp.audit.tool_call');
    expect(emitted.unsampled!.spans.getFinishedSpans()).toHaveLength(0);
    expect(alone!.attributes['mcp.client.name']).toBe('billing-agent');
  });
});
