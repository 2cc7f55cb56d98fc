import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { ATTR_GEN_AI_TOOL_NAME, ATTR_MCP_METHOD_NAME, ATTR_MCP_TOOL_ARGUMENTS_SIZE, EVENT_MCP_AUDIT_TOOL_CALL } from '@mcptrail/conventions';
import { SpanKind } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OverloadError } from '../../src/http/errors';
import { silentLogger } from '../../src/logger';
import { createGrpcReceiver } from '../../src/otlp/grpc-receiver';
import { otlpType } from '../../src/otlp/schema';
import { RecordingSink } from '../http/helpers';
import { hex, protoSpan, TRACE_RESPONSE, traceRequest } from './fixtures';

const TOKEN = 'grpc-token-1f2e';
const MAX = 64 * 1024;
const TRACE_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

interface CallResult {
  err: grpc.ServiceError | null;
  response: Buffer | null;
}

/** A raw unary call with byte (de)serializers, so tests can send anything. */
function rawCall(address: string, path: string, body: Buffer, opts: { token?: string; gzip?: boolean } = {}): Promise<CallResult> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure(), opts.gzip ? { 'grpc.default_compression_algorithm': 2 } : {});
  const metadata = new grpc.Metadata();
  if (opts.token) metadata.set('authorization', `Bearer ${opts.token}`);
  return new Promise((resolve) => {
    client.makeUnaryRequest(path, (b: Buffer) => b, (b: Buffer) => b, body, metadata, (err, response) => {
      client.close();
      resolve({ err: err ?? null, response: response ?? null });
    });
  });
}

describe('OTLP/gRPC receiver', () => {
  const sink = new RecordingSink();
  let address: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    const receiver = createGrpcReceiver({ host: '127.0.0.1', port: 0, sink, logger: silentLogger, bearerToken: TOKEN, maxMessageBytes: MAX });
    ({ address } = await receiver.listen());
    close = () => receiver.close();
  });
  afterAll(() => close());

  for (const compression of ['none', 'gzip'] as const) {
    it(`receives what the real gRPC exporters send (${compression})`, async () => {
      const headers = { authorization: `Bearer ${TOKEN}` };
      const metadata = new grpc.Metadata();
      metadata.set('authorization', headers.authorization);
      const spanExporter = new OTLPTraceExporter({ url: `http://${address}`, compression: compression as never, metadata });
      const logExporter = new OTLPLogExporter({ url: `http://${address}`, compression: compression as never, metadata });
      const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spanExporter)] });
      const loggerProvider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter: logExporter })] });
      const before = { spans: sink.receivedSpans.length, logs: sink.receivedLogs.length };
      const attributes = { [ATTR_MCP_METHOD_NAME]: 'tools/call', [ATTR_GEN_AI_TOOL_NAME]: 'get_weather', [ATTR_MCP_TOOL_ARGUMENTS_SIZE]: 42 };
      const span = tracerProvider.getTracer('t').startSpan('tools/call get_weather', { kind: SpanKind.SERVER, attributes });
      loggerProvider.getLogger('l').emit({ eventName: EVENT_MCP_AUDIT_TOOL_CALL, severityNumber: SeverityNumber.INFO, attributes });
      span.end();
      await tracerProvider.forceFlush();
      await loggerProvider.forceFlush();
      await tracerProvider.shutdown();
      await loggerProvider.shutdown();
      const spans = sink.receivedSpans.slice(before.spans);
      expect(spans).toHaveLength(1);
      expect(spans[0]).toMatchObject({ name: 'tools/call get_weather', kind: 2, traceId: span.spanContext().traceId, spanId: span.spanContext().spanId, attributes });
      const logs = sink.receivedLogs.slice(before.logs);
      expect(logs).toHaveLength(1);
      expect(logs[0]).toMatchObject({ eventName: EVENT_MCP_AUDIT_TOOL_CALL, attributes });
    });
  }

  it('answers partial_success for bad ids and INVALID_ARGUMENT for an undecodable message', async () => {
    const partial = await rawCall(address, TRACE_PATH, traceRequest([protoSpan(), protoSpan({ spanId: hex('01') })]), { token: TOKEN });
    expect(partial.err).toBeNull();
    const type = otlpType(TRACE_RESPONSE);
    expect(type.toObject(type.decode(partial.response!), { longs: Number })).toEqual({
      partialSuccess: { rejectedSpans: 1, errorMessage: 'resourceSpans[0].scopeSpans[0].spans[1].spanId: expected 8 bytes, got 1' },
    });
    const bad = await rawCall(address, TRACE_PATH, Buffer.from('ffff0a7f', 'hex'), { token: TOKEN });
    expect(bad.err?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(bad.err?.details).toMatch(/^invalid protobuf: .* at offset \d+$/);
  });

  it('UNAUTHENTICATED without the token', async () => {
    const r = await rawCall(address, TRACE_PATH, traceRequest([protoSpan()]));
    expect(r.err?.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(r.err?.details).toMatch(/^missing bearer token/);
    const w = await rawCall(address, TRACE_PATH, traceRequest([protoSpan()]), { token: 'nope' });
    expect(w.err?.details).toBe('invalid bearer token');
  });

  it('UNAVAILABLE with RetryInfo when the sink is overloaded, INTERNAL when it fails', async () => {
    sink.failures.push(new OverloadError(2, 503));
    const r = await rawCall(address, TRACE_PATH, traceRequest([protoSpan()]), { token: TOKEN });
    expect(r.err?.code).toBe(grpc.status.UNAVAILABLE);
    expect(r.err?.details).toBe('ingestion is unavailable; retry after 2s');
    const raw = r.err?.metadata.get('grpc-status-details-bin')[0] as Buffer;
    const status = otlpType('google.rpc.Status').decode(raw) as unknown as { details: Array<{ type_url: string; value: Uint8Array }> };
    expect(status.details[0]!.type_url).toBe('type.googleapis.com/google.rpc.RetryInfo');
    const info = otlpType('google.rpc.RetryInfo').toObject(otlpType('google.rpc.RetryInfo').decode(status.details[0]!.value), { longs: Number });
    expect(info).toMatchObject({ retryDelay: { seconds: 2 } });

    sink.failures.push(new Error('disk full'));
    const e = await rawCall(address, TRACE_PATH, traceRequest([protoSpan()]), { token: TOKEN });
    expect(e.err?.code).toBe(grpc.status.INTERNAL);
    expect(e.err?.details).toBe('internal error while storing the data; see the processor log');
  });

  it('RESOURCE_EXHAUSTED for a message over the cap, compressed or not (gzip bomb)', async () => {
    const big = await rawCall(address, TRACE_PATH, Buffer.alloc(MAX + 1), { token: TOKEN });
    expect(big.err?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    const bomb = await rawCall(address, TRACE_PATH, Buffer.alloc(16 * 1024 * 1024), { token: TOKEN, gzip: true });
    expect(bomb.err?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    // Still serving.
    expect((await rawCall(address, TRACE_PATH, traceRequest([protoSpan()]), { token: TOKEN })).err).toBeNull();
  });

  it('accepts and drops metrics', async () => {
    const r = await rawCall(address, '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export', Buffer.alloc(0), { token: TOKEN });
    expect(r.err).toBeNull();
    expect(r.response!.length).toBe(0);
  });
});

describe('OTLP/gRPC receiver over TLS', () => {
  it('serves TLS from cert/key files', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mcptrail-grpc-tls-'));
    try {
      const cert = path.join(dir, 'cert.pem');
      const key = path.join(dir, 'key.pem');
      execFileSync(
        'openssl',
        ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert],
        { stdio: 'ignore' },
      );
      const sink = new RecordingSink();
      const receiver = createGrpcReceiver({ host: '127.0.0.1', port: 0, sink, logger: silentLogger, tls: { certFile: cert, keyFile: key } });
      const { address } = await receiver.listen();
      try {
        const exporter = new OTLPTraceExporter({ url: `https://${address}`, credentials: grpc.credentials.createSsl(readFileSync(cert)) });
        const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
        provider.getTracer('t').startSpan('over-tls').end();
        await provider.forceFlush();
        await provider.shutdown();
        expect(sink.receivedSpans.map((s) => s.name)).toEqual(['over-tls']);
      } finally {
        await receiver.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
