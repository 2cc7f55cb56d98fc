// OTLP/HTTP protobuf bodies (gzip) of MCP tool calls shaped like @mcptrail/instrumentation-mcp's
// output: one SERVER span and one `mcp.audit.tool_call` log record per call, sharing trace context.
import { createRequire } from 'node:module';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

const require = createRequire(import.meta.url);
const protobuf = require('protobufjs');
const conv = require('@mcptrail/conventions');

// The OTLP .proto files vendored by the processor package (read, never modified).
const PROTO_ROOT = path.join(path.dirname(require.resolve('@mcptrail/processor/package.json')), 'proto');
const root = new protobuf.Root();
root.resolvePath = (_origin, target) => path.join(PROTO_ROOT, target);
root.loadSync(['opentelemetry/proto/collector/trace/v1/trace_service.proto', 'opentelemetry/proto/collector/logs/v1/logs_service.proto']);
const TraceRequest = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
const LogsRequest = root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest');
const SPAN_KIND_SERVER = 2;

function anyValue(v) {
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { intValue: v } : { doubleValue: v };
  if (Array.isArray(v)) return { arrayValue: { values: v.map(anyValue) } };
  throw new Error(`unsupported attribute value ${JSON.stringify(v)}`);
}
const kv = (attrs) => Object.entries(attrs).map(([key, value]) => ({ key, value: anyValue(value) }));

const TOOLS = ['lookup_order', 'search_tickets', 'get_customer', 'list_invoices', 'get_weather', 'read_file', 'create_ticket', 'update_ticket', 'send_email', 'fetch_url'];

/**
 * Builds the span and log attributes of call `i` from the captured shape. Each actor uses one tool
 * and one session, so the baseline keys grow with the number of actors (actor, actor+tool, actor+service).
 */
export function createCallFactory(shape, { actors, service = 'bench-orders' }) {
  const resource = { attributes: kv({ [conv.ATTR_SERVICE_NAME]: service, [conv.ATTR_SERVICE_INSTANCE_ID]: 'bench-1' }) };
  const scope = { name: shape.scope.name, version: shape.scope.version };
  const spanBase = { ...shape.span.attributes, [conv.ATTR_NETWORK_TRANSPORT]: 'tcp' };
  const logBase = { ...shape.log.attributes, [conv.ATTR_NETWORK_TRANSPORT]: 'tcp' };
  const durationNs = 2_000_000;

  function call(i, override = {}) {
    const actorN = i % actors;
    const actor = override.actor ?? `agent-${actorN}`;
    const tool = override.tool ?? TOOLS[actorN % TOOLS.length];
    const args = override.args ?? JSON.stringify({ orderId: `A-${i}`, limit: 10 });
    const ids = Buffer.alloc(24);
    ids.writeUInt32BE(0x6d637074, 0); // 'mcpt'
    ids.writeUInt32BE(override.tag ?? 0, 4);
    ids.writeDoubleBE(i, 8);
    ids.writeDoubleBE(i + 0.5, 16);
    const traceId = ids.subarray(0, 16);
    const spanId = ids.subarray(16, 24);
    const per = {
      [conv.ATTR_GEN_AI_TOOL_NAME]: tool,
      [conv.ATTR_MCP_TOOL_NAME]: tool,
      [conv.ATTR_JSONRPC_REQUEST_ID]: String(i),
      [conv.ATTR_MCP_SESSION_ID]: `session-${actor}`,
      [conv.ATTR_ENDUSER_ID]: actor,
      [conv.ATTR_ENDUSER_SCOPE]: ['orders:read'],
      [conv.ATTR_MCP_TOOL_ARGUMENTS_HASH]: `hmac:k1:${i.toString(16).padStart(64, '0')}`,
      [conv.ATTR_MCP_TOOL_ARGUMENTS_SIZE]: Buffer.byteLength(args),
    };
    const endNs = Date.now() * 1e6;
    const span = {
      traceId,
      spanId,
      name: `tools/call ${tool}`,
      kind: SPAN_KIND_SERVER,
      startTimeUnixNano: endNs - durationNs,
      endTimeUnixNano: endNs,
      attributes: kv({ ...spanBase, ...per }),
      status: {},
    };
    const log = {
      timeUnixNano: endNs,
      observedTimeUnixNano: endNs,
      severityNumber: shape.log.severityNumber,
      severityText: shape.log.severityText,
      body: { stringValue: `served tools/call ${tool}: ok in 2.0 ms` },
      eventName: shape.log.eventName,
      traceId,
      spanId,
      flags: 1,
      attributes: kv({ ...logBase, ...per, [conv.ATTR_GEN_AI_TOOL_CALL_ARGUMENTS]: args, [conv.ATTR_MCP_AUDIT_DURATION_MS]: 2 }),
    };
    return { span, log, traceIdHex: traceId.toString('hex') };
  }

  /** gzip protobuf bodies for calls [from, to): one /v1/traces and one /v1/logs request. */
  function batch(from, to, override) {
    const calls = [];
    for (let i = from; i < to; i++) calls.push(call(i, override));
    const traces = TraceRequest.encode({ resourceSpans: [{ resource, scopeSpans: [{ scope, spans: calls.map((c) => c.span) }] }] }).finish();
    const logs = LogsRequest.encode({ resourceLogs: [{ resource, scopeLogs: [{ scope, logRecords: calls.map((c) => c.log) }] }] }).finish();
    return { traces: gzipSync(traces, { level: 6 }), logs: gzipSync(logs, { level: 6 }), rawBytes: traces.length + logs.length, traceIds: calls.map((c) => c.traceIdHex) };
  }

  return { call, batch };
}
