import { randomBytes } from 'node:crypto';
import {
  ATTR_ENDUSER_ID,
  ATTR_ERROR_TYPE,
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
  ATTR_MCP_TOOL_ARGUMENTS_HASH,
  ATTR_MCP_TOOL_ARGUMENTS_SIZE,
  ATTR_MCP_TOOL_RESULT_CONTENT_COUNT,
  ATTR_MCP_TOOL_RESULT_CONTENT_TYPES,
  ATTR_MCP_TOOL_RESULT_IS_ERROR,
  ATTR_MCP_TOOL_RESULT_SIZE,
  ATTR_MCP_TOOL_SCHEMA_VERSION,
  ATTR_SERVICE_NAME,
  AUDIT_SCHEMA_VERSION,
  EVENT_MCP_AUDIT_TOOL_CALL,
  GEN_AI_OPERATION_EXECUTE_TOOL,
  MCP_SIDE_SERVER,
} from '@mcptrail/conventions';
import { SPAN_KIND, STATUS_CODE, type OtlpAttributes, type OtlpLogRecord, type OtlpSpan } from '../../src/otlp/types';

export const hex = (bytes: number) => randomBytes(bytes).toString('hex');
export const START_NS = 1_763_700_000_000_000_000n; // 2025-11-21T04:40:00Z

export interface CallShape {
  traceId?: string;
  spanId?: string;
  tool?: string;
  method?: string;
  args?: unknown;
  session?: string;
  actor?: string;
  outcome?: string;
  kind?: number;
  startNs?: bigint;
  service?: string;
  extra?: OtlpAttributes;
  /** A tools/call span without its tool name (unusable). */
  noTool?: boolean;
}

/** A SERVER span shaped like @mcptrail/instrumentation-mcp's `tools/call <tool>` span. */
export function toolSpan(c: CallShape = {}): OtlpSpan {
  const method = c.method ?? 'tools/call';
  const start = c.startNs ?? START_NS;
  const attributes: OtlpAttributes = {
    [ATTR_MCP_METHOD_NAME]: method,
    [ATTR_MCP_SESSION_ID]: c.session ?? 'sess-1',
    [ATTR_JSONRPC_REQUEST_ID]: 7,
    [ATTR_MCP_SERVER_NAME]: 'weather',
    [ATTR_MCP_CLIENT_NAME]: 'agent-x',
    [ATTR_ENDUSER_ID]: c.actor ?? 'client-42',
    [ATTR_MCP_TOOL_ARGUMENTS_HASH]: 'hmac:k1:' + 'a'.repeat(64),
    [ATTR_MCP_TOOL_ARGUMENTS_SIZE]: 17,
    [ATTR_MCP_TOOL_SCHEMA_VERSION]: 'sha256:0123456789abcdef',
    ...c.extra,
  };
  if (method === 'tools/call' && !c.noTool) {
    attributes[ATTR_GEN_AI_TOOL_NAME] = c.tool ?? 'get_weather';
    attributes[ATTR_GEN_AI_OPERATION_NAME] = GEN_AI_OPERATION_EXECUTE_TOOL;
  }
  if (c.args !== undefined) attributes[ATTR_GEN_AI_TOOL_CALL_ARGUMENTS] = JSON.stringify(c.args);
  const failed = c.outcome === 'error' || c.outcome === 'tool_error';
  if (c.outcome === 'tool_error') attributes[ATTR_ERROR_TYPE] = 'tool_error';
  return {
    resource: { attributes: { [ATTR_SERVICE_NAME]: c.service ?? 'weather-server' } },
    scope: { name: '@mcptrail/instrumentation-mcp', version: '0.1.0' },
    traceId: c.traceId ?? hex(16),
    spanId: c.spanId ?? hex(8),
    parentSpanId: null,
    name: `${method} ${c.tool ?? 'get_weather'}`,
    kind: c.kind ?? SPAN_KIND.SERVER,
    startTimeUnixNano: start,
    endTimeUnixNano: start + 12_500_000n,
    attributes,
    events: [],
    status: { code: failed ? STATUS_CODE.ERROR : STATUS_CODE.UNSET, message: '' },
  };
}

/** The `mcp.audit.tool_call` log record the instrumentation emits in the span's context. */
export function auditLog(c: CallShape & { flags?: number } = {}): OtlpLogRecord {
  const attributes: OtlpAttributes = {
    [ATTR_MCP_METHOD_NAME]: c.method ?? 'tools/call',
    [ATTR_GEN_AI_TOOL_NAME]: c.tool ?? 'get_weather',
    [ATTR_MCP_SESSION_ID]: c.session ?? 'sess-1',
    [ATTR_ENDUSER_ID]: c.actor ?? 'client-42',
    [ATTR_MCP_SIDE]: MCP_SIDE_SERVER,
    [ATTR_MCP_AUDIT_SCHEMA_VERSION]: AUDIT_SCHEMA_VERSION,
    [ATTR_MCP_AUDIT_OUTCOME]: c.outcome ?? 'ok',
    [ATTR_MCP_AUDIT_DURATION_MS]: 12.5,
    [ATTR_GEN_AI_TOOL_CALL_ARGUMENTS]: JSON.stringify(c.args ?? { city: 'Paris' }),
    [ATTR_MCP_TOOL_RESULT_CONTENT_COUNT]: 1,
    [ATTR_MCP_TOOL_RESULT_CONTENT_TYPES]: ['text'],
    [ATTR_MCP_TOOL_RESULT_SIZE]: 64,
    [ATTR_MCP_TOOL_RESULT_IS_ERROR]: c.outcome === 'tool_error',
    ...c.extra,
  };
  return {
    resource: { attributes: { [ATTR_SERVICE_NAME]: c.service ?? 'weather-server' } },
    scope: { name: '@mcptrail/instrumentation-mcp', version: '0.1.0' },
    timeUnixNano: c.startNs ?? START_NS,
    observedTimeUnixNano: (c.startNs ?? START_NS) + 1_000_000n,
    severityNumber: 9,
    severityText: 'INFO',
    body: 'tools/call get_weather',
    attributes,
    eventName: EVENT_MCP_AUDIT_TOOL_CALL,
    traceId: c.traceId === undefined ? hex(16) : c.traceId,
    spanId: c.spanId === undefined ? hex(8) : c.spanId,
    flags: c.flags ?? 1,
  };
}

export const traces = (...spans: OtlpSpan[]) => ({ spans, rejected: 0, rejectReason: null });
export const logs = (...records: OtlpLogRecord[]) => ({ logs: records, rejected: 0, rejectReason: null });

/** Collects log lines so tests can assert on diagnostics (and that no secret reached them). */
export function memoryLogger() {
  const lines: Array<{ level: string; msg: string; fields?: Record<string, unknown> }> = [];
  const at = (level: string) => (msg: string, fields?: Record<string, unknown>) => void lines.push({ level, msg, fields });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
