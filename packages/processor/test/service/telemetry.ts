/**
 * Telemetry shaped like @mcptrail/instrumentation-mcp's, sent by the REAL OpenTelemetry JS
 * SDK and exporters (proto or JSON, gzip or not): a SERVER span `tools/call <tool>` and the
 * `mcp.audit.tool_call` log record emitted in its context.
 */
import {
  ATTR_ENDUSER_ID,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_TOOL_CALL_ARGUMENTS,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_JSONRPC_REQUEST_ID,
  ATTR_MCP_AUDIT_DURATION_MS,
  ATTR_MCP_AUDIT_OUTCOME,
  ATTR_MCP_AUDIT_SCHEMA_VERSION,
  ATTR_MCP_CLIENT_NAME,
  ATTR_MCP_METHOD_NAME,
  ATTR_MCP_SERVER_NAME,
  ATTR_MCP_SESSION_ID,
  ATTR_MCP_SIDE,
  ATTR_MCP_TOOL_ARGUMENTS_SIZE,
  ATTR_MCP_TOOL_SCHEMA_VERSION,
  ATTR_SERVICE_NAME,
  AUDIT_SCHEMA_VERSION,
  EVENT_MCP_AUDIT_TOOL_CALL,
  GEN_AI_OPERATION_EXECUTE_TOOL,
  MCP_SIDE_SERVER,
} from '@mcptrail/conventions';
import { type Attributes, context, SpanKind, trace } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter as LogsGrpcExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPLogExporter as LogsJsonExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as LogsProtoExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter as TraceGrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as TraceJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as TraceProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';

/** `grpc`: baseUrl is `http://host:port` of the OTLP/gRPC receiver. */
export type WireFormat = 'proto' | 'json' | 'grpc';

export interface ToolCall {
  tool: string;
  session: string;
  actor?: string;
  args?: unknown;
  outcome?: 'ok' | 'error' | 'tool_error' | 'denied';
  /** Extra span attributes (e.g. a secret corpus). */
  extra?: Attributes;
}

export interface Emitter {
  call(c: ToolCall): { traceId: string; spanId: string };
  /** Flushes and shuts down both providers (every export answered). */
  shutdown(): Promise<void>;
}

export function createEmitter(
  baseUrl: string,
  opts: { format: WireFormat; gzip: boolean; service?: string; headers?: Record<string, string> },
): Emitter {
  const compression = (opts.gzip ? 'gzip' : 'none') as never;
  const common = { compression, headers: opts.headers ?? {} };
  const traceExporter =
    opts.format === 'grpc'
      ? new TraceGrpcExporter({ url: baseUrl, compression })
      : opts.format === 'proto'
        ? new TraceProtoExporter({ url: `${baseUrl}/v1/traces`, ...common })
        : new TraceJsonExporter({ url: `${baseUrl}/v1/traces`, ...common });
  const logExporter =
    opts.format === 'grpc'
      ? new LogsGrpcExporter({ url: baseUrl, compression })
      : opts.format === 'proto'
        ? new LogsProtoExporter({ url: `${baseUrl}/v1/logs`, ...common })
        : new LogsJsonExporter({ url: `${baseUrl}/v1/logs`, ...common });
  const resource = resourceFromAttributes({ [ATTR_SERVICE_NAME]: opts.service ?? 'weather-mcp' });
  // Queues sized for the test's bursts: the default 2,048 silently drops (see FACTS.md).
  const tracerProvider = new BasicTracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor(traceExporter, { maxQueueSize: 100_000, scheduledDelayMillis: 50 })],
  });
  const loggerProvider = new LoggerProvider({
    resource,
    processors: [new BatchLogRecordProcessor({ exporter: logExporter, maxQueueSize: 100_000, scheduledDelayMillis: 50 })],
  });
  const tracer = tracerProvider.getTracer('@mcptrail/instrumentation-mcp', '0.1.0');
  const logger = loggerProvider.getLogger('@mcptrail/instrumentation-mcp', '0.1.0');
  let requestId = 0;

  return {
    call(c) {
      requestId += 1;
      const args = JSON.stringify(c.args ?? { city: 'Paris' });
      const outcome = c.outcome ?? 'ok';
      const span = tracer.startSpan(`tools/call ${c.tool}`, {
        kind: SpanKind.SERVER,
        attributes: {
          [ATTR_MCP_METHOD_NAME]: 'tools/call',
          [ATTR_GEN_AI_TOOL_NAME]: c.tool,
          [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_EXECUTE_TOOL,
          [ATTR_MCP_SESSION_ID]: c.session,
          [ATTR_JSONRPC_REQUEST_ID]: String(requestId),
          [ATTR_MCP_SERVER_NAME]: 'weather',
          [ATTR_MCP_CLIENT_NAME]: 'agent-x',
          [ATTR_ENDUSER_ID]: c.actor ?? 'client-42',
          [ATTR_MCP_TOOL_SCHEMA_VERSION]: 'sha256:0123456789abcdef',
          [ATTR_MCP_TOOL_ARGUMENTS_SIZE]: Buffer.byteLength(args),
          [ATTR_GEN_AI_TOOL_CALL_ARGUMENTS]: args,
          ...c.extra,
        },
      });
      logger.emit({
        eventName: EVENT_MCP_AUDIT_TOOL_CALL,
        severityNumber: SeverityNumber.INFO,
        severityText: 'INFO',
        body: `tools/call ${c.tool}`,
        attributes: {
          [ATTR_MCP_METHOD_NAME]: 'tools/call',
          [ATTR_GEN_AI_TOOL_NAME]: c.tool,
          [ATTR_MCP_SESSION_ID]: c.session,
          [ATTR_ENDUSER_ID]: c.actor ?? 'client-42',
          [ATTR_MCP_SIDE]: MCP_SIDE_SERVER,
          [ATTR_MCP_AUDIT_SCHEMA_VERSION]: AUDIT_SCHEMA_VERSION,
          [ATTR_MCP_AUDIT_OUTCOME]: outcome,
          [ATTR_MCP_AUDIT_DURATION_MS]: 3.5,
          [ATTR_GEN_AI_TOOL_CALL_ARGUMENTS]: args,
        },
        context: trace.setSpan(context.active(), span),
      });
      span.end();
      const ctx = span.spanContext();
      return { traceId: ctx.traceId, spanId: ctx.spanId };
    },
    async shutdown() {
      await tracerProvider.forceFlush();
      await loggerProvider.forceFlush();
      await tracerProvider.shutdown();
      await loggerProvider.shutdown();
    },
  };
}
