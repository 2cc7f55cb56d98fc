import { SpanStatusCode, context } from '@opentelemetry/api';
import type { AnyValue } from '@opentelemetry/api-logs';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR_MCPTRAIL_REDACTION_COUNT, ATTR_MCPTRAIL_REDACTION_TYPES } from '@mcptrail/conventions';
import { RedactingLogRecordProcessor, RedactingSpanProcessor, createRedactor } from '@mcptrail/redact';
import { describe, expect, it } from 'vitest';
import { SECRET_CORPUS, findLeaks, secretArgs } from './fixtures/secret-corpus';

const JWT = SECRET_CORPUS.find((s) => s.kind === 'jwt')!.value;

function tracing(order: 'redact-first' | 'redact-last') {
  const exporter = new InMemorySpanExporter();
  const redacting = new RedactingSpanProcessor({ hmacKey: 'processor-test-key-123' });
  const exporting = new SimpleSpanProcessor(exporter);
  const provider = new BasicTracerProvider({ spanProcessors: order === 'redact-first' ? [redacting, exporting] : [exporting, redacting] });
  return { exporter, provider, tracer: provider.getTracer('test') };
}

describe('RedactingSpanProcessor (real sdk-trace-base BasicTracerProvider)', () => {
  it.each(['redact-first', 'redact-last'] as const)('scrubs name, attributes, events, exception and status before export (%s)', async (order) => {
    const { exporter, provider, tracer } = tracing(order);
    const span = tracer.startSpan('GET /users/jane.doe@example.com', {
      attributes: {
        'http.request.header.authorization': [`Bearer ${JWT}`],
        'url.full': 'https://api.example.com/v1?api_key=abc123xyz&page=2',
        'gen_ai.tool.call.arguments': JSON.stringify(secretArgs()),
        'http.request.method': 'GET',
        'gen_ai.usage.input_tokens': 42,
      },
    });
    span.addEvent('retry', { 'db.connection_string': 'postgres://svc:Sup3rS3cret@db/x', attempt: 2 });
    span.recordException(new Error(`upstream refused token ${JWT}`));
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'login failed for password=hunter22' });
    span.end();
    await provider.forceFlush();

    const [exported] = exporter.getFinishedSpans();
    expect(exported).toBeDefined();
    const bytes = JSON.stringify({ name: exported!.name, attributes: exported!.attributes, events: exported!.events, status: exported!.status });
    expect(findLeaks(bytes)).toEqual([]);
    expect(bytes).not.toContain('hunter22');
    expect(bytes).not.toContain('Sup3rS3cret');
    expect(bytes).not.toContain('abc123xyz');
    expect(exported!.name).toBe('GET /users/[REDACTED:email]');
    expect(exported!.status.message).toBe('login failed for password=[REDACTED:key:password]');
    expect(exported!.attributes['http.request.method']).toBe('GET');
    expect(exported!.attributes['gen_ai.usage.input_tokens']).toBe(42);
    expect(exported!.events[0]!.attributes!.attempt).toBe(2);
    expect(exported!.attributes[ATTR_MCPTRAIL_REDACTION_COUNT]).toBeGreaterThanOrEqual(6);
    expect(exported!.attributes[ATTR_MCPTRAIL_REDACTION_TYPES]).toEqual(expect.arrayContaining(['email', 'jwt', 'key:authorization', 'key:password', 'url_password']));
    await provider.shutdown();
  });

  it('adds no redaction attributes to clean spans', async () => {
    const { exporter, provider, tracer } = tracing('redact-first');
    tracer.startSpan('tools/call get_weather', { attributes: { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'get_weather' } }).end();
    await provider.forceFlush();
    const [span] = exporter.getFinishedSpans();
    expect(span!.attributes).toEqual({ 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'get_weather' });
    await provider.shutdown();
  });

  it('adds to counts an earlier redactor already recorded', async () => {
    const { exporter, provider, tracer } = tracing('redact-first');
    tracer.startSpan('x', { attributes: { [ATTR_MCPTRAIL_REDACTION_COUNT]: 2, [ATTR_MCPTRAIL_REDACTION_TYPES]: ['key:token'], 'app.contact': 'a.b@example.com' } }).end();
    await provider.forceFlush();
    const [span] = exporter.getFinishedSpans();
    expect(span!.attributes[ATTR_MCPTRAIL_REDACTION_COUNT]).toBe(3);
    expect(span!.attributes[ATTR_MCPTRAIL_REDACTION_TYPES]).toEqual(['email', 'key:token']);
    await provider.shutdown();
  });

  it('accepts a shared Redactor and never throws on odd input', () => {
    const p = new RedactingSpanProcessor(createRedactor());
    expect(() => p.onEnding(null)).not.toThrow();
    expect(() => p.onEnd({ attributes: 'nope' })).not.toThrow();
    const legacy = { name: 'x', attributes: { password: 'p' } };
    p.onEnd(legacy); // SDKs without onEnding: scrubbed in onEnd
    expect(legacy.attributes.password).toBe('[REDACTED:key:password]');
  });
});

describe('RedactingLogRecordProcessor (real sdk-logs LoggerProvider)', () => {
  it('scrubs attributes, exception attributes and string or map bodies before export', async () => {
    const exporter = new InMemoryLogRecordExporter();
    const provider = new LoggerProvider({ processors: [new RedactingLogRecordProcessor(), new SimpleLogRecordProcessor({ exporter })] });
    const logger = provider.getLogger('test');
    logger.emit({
      eventName: 'mcp.audit.tool_call',
      body: { arguments: secretArgs(), summary: 'ok' } as AnyValue,
      attributes: { 'mcp.tool.name': 'query_db', 'app.password': 'hunter22', 'app.note': `jwt ${JWT}` },
      context: context.active(),
    });
    logger.emit({ body: 'connecting to postgres://svc:Sup3rS3cret@db/x as jane.doe@example.com', exception: new Error('token=abcdef123456 rejected') });
    await provider.forceFlush();
    const records = exporter.getFinishedLogRecords();
    expect(records).toHaveLength(2);
    const bytes = JSON.stringify(records.map((r) => ({ body: r.body, attributes: r.attributes })));
    expect(findLeaks(bytes)).toEqual([]);
    expect(bytes).not.toContain('hunter22');
    expect(bytes).not.toContain('Sup3rS3cret');
    expect(bytes).not.toContain('abcdef123456');
    expect(records[0]!.attributes['mcp.tool.name']).toBe('query_db');
    expect((records[0]!.body as Record<string, unknown>).summary).toBe('ok');
    expect(records[1]!.body).toBe('connecting to postgres://svc:[REDACTED:url_password]@db/x as [REDACTED:email]');
    expect(records[1]!.attributes[ATTR_MCPTRAIL_REDACTION_TYPES]).toEqual(['email', 'key:token', 'url_password']);
    await provider.shutdown();
  });

  it('must be registered before the exporter: an exporter that serialises at export time sees the raw record otherwise', async () => {
    // Like the OTLP exporters, this one serialises the record when export() is called.
    const serialised: string[] = [];
    const exporter = {
      export(records: { body?: unknown }[], done: (r: { code: number }) => void) {
        for (const r of records) serialised.push(JSON.stringify(r.body));
        done({ code: 0 });
      },
      shutdown: () => Promise.resolve(),
      forceFlush: () => Promise.resolve(),
    };
    const wrong = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter }), new RedactingLogRecordProcessor()] });
    wrong.getLogger('test').emit({ body: 'password=hunter22' });
    const right = new LoggerProvider({ processors: [new RedactingLogRecordProcessor(), new SimpleLogRecordProcessor({ exporter })] });
    right.getLogger('test').emit({ body: 'password=hunter22' });
    await Promise.all([wrong.forceFlush(), right.forceFlush()]);
    expect(serialised).toEqual(['"password=hunter22"', '"password=[REDACTED:key:password]"']);
    await Promise.all([wrong.shutdown(), right.shutdown()]);
  });
});
