import {
  ATTR_ENDUSER_ID,
  ATTR_ENDUSER_SCOPE,
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_JSONRPC_REQUEST_ID,
  ATTR_MCP_AUDIT_DURATION_MS,
  ATTR_MCP_AUDIT_OUTCOME,
  ATTR_MCP_METHOD_NAME,
  ATTR_MCP_SESSION_ID,
  ATTR_MCP_TOOL_ARGUMENTS_HASH,
  ATTR_MCP_TOOL_ARGUMENTS_SIZE,
  ATTR_MCP_TOOL_RESULT_CONTENT_TYPES,
  ATTR_MCP_TOOL_RESULT_IS_ERROR,
  ATTR_MCP_TOOL_SCHEMA_VERSION,
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_VERSION,
  ERROR_TYPE_TOOL_ERROR,
  EVENT_MCP_AUDIT_TOOL_CALL,
  GEN_AI_OPERATION_EXECUTE_TOOL,
} from '@mcptrail/conventions';
import { context, type HrTime, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter as LogsHttpExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as LogsProtoExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter as TraceHttpExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as TraceProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SPAN_KIND, STATUS_CODE } from '../../src/otlp/types';
import { type RecordingSink, startReceiver } from './helpers';

const START: HrTime = [1_763_700_000, 123_456_789];
const END: HrTime = [1_763_700_000, 987_654_321];
const LOG_TIME: HrTime = [1_763_700_000, 500_000_001];
const ns = (t: HrTime) => BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]);

const resource = resourceFromAttributes({ [ATTR_SERVICE_NAME]: 'weather-mcp', [ATTR_SERVICE_VERSION]: '1.2.3' });

const SPAN_ATTRIBUTES = {
  [ATTR_MCP_METHOD_NAME]: 'tools/call',
  [ATTR_GEN_AI_TOOL_NAME]: 'get_weather',
  [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_EXECUTE_TOOL,
  [ATTR_MCP_SESSION_ID]: 'session-42',
  [ATTR_JSONRPC_REQUEST_ID]: '7',
  [ATTR_MCP_TOOL_SCHEMA_VERSION]: 'sha256:0f1e2d',
  [ATTR_MCP_TOOL_ARGUMENTS_HASH]: 'hmac:k1:abcdef',
  [ATTR_MCP_TOOL_ARGUMENTS_SIZE]: 42,
  [ATTR_MCP_TOOL_RESULT_CONTENT_TYPES]: ['text', 'image'],
  [ATTR_MCP_TOOL_RESULT_IS_ERROR]: true,
  [ATTR_ERROR_TYPE]: ERROR_TYPE_TOOL_ERROR,
  [ATTR_ENDUSER_ID]: 'client-abc',
  [ATTR_ENDUSER_SCOPE]: ['weather:read', 'weather:write'],
  'test.double': 2.5,
  'test.int_array': [1, 2, 3],
};

const LOG_ATTRIBUTES = {
  [ATTR_GEN_AI_TOOL_NAME]: 'get_weather',
  [ATTR_MCP_SESSION_ID]: 'session-42',
  [ATTR_MCP_AUDIT_OUTCOME]: 'error',
  [ATTR_MCP_AUDIT_DURATION_MS]: 864,
};

type Format = 'proto' | 'json';
const COMBOS: Array<{ format: Format; compression: 'gzip' | 'none' }> = [
  { format: 'proto', compression: 'none' },
  { format: 'proto', compression: 'gzip' },
  { format: 'json', compression: 'none' },
  { format: 'json', compression: 'gzip' },
];

describe('real OpenTelemetry JS exporters → receiver', () => {
  let url: string;
  let sink: RecordingSink;
  let close: () => Promise<void>;

  beforeAll(async () => {
    const started = await startReceiver();
    url = started.url;
    sink = started.sink;
    close = () => started.receiver.close();
  });
  afterAll(() => close());

  for (const { format, compression } of COMBOS) {
    it(`decodes a tools/call SERVER span and its audit log record (${format}, ${compression})`, async () => {
      const traceExporter =
        format === 'proto'
          ? new TraceProtoExporter({ url: `${url}/v1/traces`, compression: compression as never })
          : new TraceHttpExporter({ url: `${url}/v1/traces`, compression: compression as never });
      const logExporter =
        format === 'proto'
          ? new LogsProtoExporter({ url: `${url}/v1/logs`, compression: compression as never })
          : new LogsHttpExporter({ url: `${url}/v1/logs`, compression: compression as never });
      const tracerProvider = new BasicTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(traceExporter)] });
      const loggerProvider = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter: logExporter })] });
      const tracer = tracerProvider.getTracer('@mcptrail/instrumentation-mcp', '0.1.0');
      const logger = loggerProvider.getLogger('@mcptrail/instrumentation-mcp', '0.1.0');

      const spansBefore = sink.receivedSpans.length;
      const logsBefore = sink.receivedLogs.length;
      const span = tracer.startSpan('tools/call get_weather', {
        kind: SpanKind.SERVER,
        attributes: SPAN_ATTRIBUTES,
        startTime: START,
      });
      span.addEvent('exception', { 'exception.type': 'ToolError' }, LOG_TIME);
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'tool failed' });
      logger.emit({
        eventName: EVENT_MCP_AUDIT_TOOL_CALL,
        severityNumber: SeverityNumber.INFO,
        severityText: 'INFO',
        timestamp: LOG_TIME,
        body: { tool: 'get_weather', args: { city: 'Oslo' }, sizes: [1, 2] },
        attributes: LOG_ATTRIBUTES,
        context: trace.setSpan(context.active(), span),
      });
      span.end(END);
      await tracerProvider.forceFlush();
      await loggerProvider.forceFlush();
      await tracerProvider.shutdown();
      await loggerProvider.shutdown();

      const spans = sink.receivedSpans.slice(spansBefore);
      expect(spans).toHaveLength(1);
      const got = spans[0]!;
      const ctx = span.spanContext();
      expect(got.traceId).toBe(ctx.traceId);
      expect(got.spanId).toBe(ctx.spanId);
      expect(got.parentSpanId).toBeNull();
      expect(got.name).toBe('tools/call get_weather');
      expect(got.kind).toBe(SPAN_KIND.SERVER);
      expect(got.startTimeUnixNano).toBe(ns(START));
      expect(got.endTimeUnixNano).toBe(ns(END));
      expect(got.attributes).toEqual(SPAN_ATTRIBUTES);
      expect(got.status).toEqual({ code: STATUS_CODE.ERROR, message: 'tool failed' });
      expect(got.events).toEqual([{ name: 'exception', timeUnixNano: ns(LOG_TIME), attributes: { 'exception.type': 'ToolError' } }]);
      expect(got.resource.attributes[ATTR_SERVICE_NAME]).toBe('weather-mcp');
      expect(got.resource.attributes[ATTR_SERVICE_VERSION]).toBe('1.2.3');
      expect(got.scope).toEqual({ name: '@mcptrail/instrumentation-mcp', version: '0.1.0' });

      const logs = sink.receivedLogs.slice(logsBefore);
      expect(logs).toHaveLength(1);
      const rec = logs[0]!;
      expect(rec.eventName).toBe(EVENT_MCP_AUDIT_TOOL_CALL);
      expect(rec.traceId).toBe(ctx.traceId);
      expect(rec.spanId).toBe(ctx.spanId);
      expect(rec.flags & 0xff).toBe(ctx.traceFlags);
      expect(rec.timeUnixNano).toBe(ns(LOG_TIME));
      expect(rec.observedTimeUnixNano > 0n).toBe(true);
      expect(rec.severityNumber).toBe(SeverityNumber.INFO);
      expect(rec.severityText).toBe('INFO');
      expect(rec.body).toEqual({ tool: 'get_weather', args: { city: 'Oslo' }, sizes: [1, 2] });
      expect(rec.attributes).toEqual(LOG_ATTRIBUTES);
      expect(rec.resource.attributes[ATTR_SERVICE_NAME]).toBe('weather-mcp');
      expect(rec.scope.name).toBe('@mcptrail/instrumentation-mcp');
    });
  }
});
