import { trace, type Attributes, type Context } from '@opentelemetry/api';
import { SeverityNumber, type LogRecord } from '@opentelemetry/api-logs';
import type { AuditOutcome, ResultSummary } from '@mcptrail/conventions';
import * as conventions from '@mcptrail/conventions';
import type { CallRecord } from './call-recorder';
import { setResultSummary } from './result-summary';
import type { ToolVersionInfo } from './connection';

// Read once: `@mcptrail/conventions` re-exports through CommonJS getters, too slow to read per call.
const {
  ATTR_ENDUSER_ID,
  ATTR_ENDUSER_SCOPE,
  ATTR_ERROR_TYPE,
  ATTR_EVENT_NAME,
  ATTR_GEN_AI_PROMPT_NAME,
  ATTR_GEN_AI_TOOL_CALL_ARGUMENTS,
  ATTR_GEN_AI_TOOL_CALL_RESULT,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_JSONRPC_REQUEST_ID,
  ATTR_MCP_CLIENT_NAME,
  ATTR_MCP_CLIENT_VERSION,
  ATTR_MCP_ERROR_MESSAGE,
  ATTR_MCP_METHOD_NAME,
  ATTR_MCP_PROTOCOL_VERSION,
  ATTR_MCP_RESOURCE_URI,
  ATTR_MCP_TOOL_ARGUMENTS_HASH,
  ATTR_MCP_TOOL_ARGUMENTS_SIZE,
  ATTR_MCPTRAIL_REDACTION_TYPES,
  ATTR_NETWORK_TRANSPORT,
  ATTR_RPC_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_MCP_AUDIT_DURATION_MS,
  ATTR_MCP_AUDIT_OUTCOME,
  ATTR_MCP_AUDIT_SCHEMA_VERSION,
  ATTR_MCP_SERVER_NAME,
  ATTR_MCP_SERVER_VERSION,
  ATTR_MCP_SESSION_ID,
  ATTR_MCP_SIDE,
  ATTR_MCP_TOOL_DESCRIPTION,
  ATTR_MCP_TOOL_DESTRUCTIVE_HINT,
  ATTR_MCP_TOOL_NAME,
  ATTR_MCP_TOOL_OPEN_WORLD_HINT,
  ATTR_MCP_TOOL_READ_ONLY_HINT,
  ATTR_MCP_TOOL_SCHEMA_VERSION,
  AUDIT_SCHEMA_VERSION,
  EVENT_MCP_AUDIT_TOOL_CALL,
  EVENT_MCP_TOOL_DEFINITION,
  EVENT_MCP_TOOLS_LIST_CHANGED,
} = conventions;

export type EmitLog = (record: LogRecord) => void;

export interface AuditRecordInput {
  record: CallRecord;
  /** The attributes set on the span at its end (session, peers, result summary, error). */
  spanAttributes: Attributes;
  /**
   * The span will be exported (recording and sampled): the processor then joins its per-session attributes
   * (peers, protocol version, transport) to this record, which need not repeat them.
   */
  spanExported: boolean;
  outcome: AuditOutcome;
  errorType: string | undefined;
  errorMessage: string | undefined;
  summary: ResultSummary | undefined;
  durationMs: number;
  toolInfo: ToolVersionInfo | undefined;
  /** Redacted arguments JSON, when audit records carry arguments. */
  redactedArguments: string | undefined;
}

const SEVERITY: Record<AuditOutcome, [SeverityNumber, string]> = {
  ok: [SeverityNumber.INFO, 'INFO'],
  tool_error: [SeverityNumber.WARN, 'WARN'],
  error: [SeverityNumber.WARN, 'WARN'],
  denied: [SeverityNumber.WARN, 'WARN'],
};

/** What the call's span says once per call and the record repeats (the join keys and the target). */
const FROM_SPAN_START = [ATTR_MCP_METHOD_NAME, ATTR_GEN_AI_TOOL_NAME, ATTR_GEN_AI_PROMPT_NAME, ATTR_MCP_RESOURCE_URI, ATTR_JSONRPC_REQUEST_ID];
/** What the span carries at its end and the record repeats: the call's own facts. */
const FROM_SPAN_END = [ATTR_ERROR_TYPE, ATTR_RPC_RESPONSE_STATUS_CODE, ATTR_MCP_ERROR_MESSAGE, ATTR_GEN_AI_TOOL_CALL_RESULT];
/**
 * Per-session constants: on the span only when it is exported (the processor merges span and record of a
 * call); on the record itself when the span is not sampled, so the record alone is complete.
 */
const SESSION_CONSTANTS = [
  ATTR_MCP_PROTOCOL_VERSION,
  ATTR_MCP_SERVER_NAME,
  ATTR_MCP_SERVER_VERSION,
  ATTR_MCP_CLIENT_NAME,
  ATTR_MCP_CLIENT_VERSION,
  ATTR_NETWORK_TRANSPORT,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
];

function copy(from: Attributes, to: Attributes, keys: readonly string[]): void {
  for (const key of keys) {
    const v = from[key];
    if (v !== undefined) to[key] = v;
  }
}

/**
 * `mcp.audit.tool_call`: one record per tool call (and per failed or denied request), emitted in the
 * span's context so it carries the span's trace and span ids. The body never contains argument values.
 * It carries what the audit needs per call, kept under OpenTelemetry JS's 20-attribute step (README,
 * "Where each attribute is"); what is the same for every call of a session rides on the span.
 */
export function emitAuditRecord(emit: EmitLog, input: AuditRecordInput): void {
  const { record, outcome, toolInfo, summary } = input;
  const start = record.startAttributes;
  const attributes: Attributes = {};
  copy(start, attributes, FROM_SPAN_START);
  attributes[ATTR_MCP_SIDE] = record.side;
  if (record.sessionId) attributes[ATTR_MCP_SESSION_ID] = record.sessionId;
  if (record.actorId) attributes[ATTR_ENDUSER_ID] = record.actorId;
  if (record.actorScope) attributes[ATTR_ENDUSER_SCOPE] = record.actorScope;
  if (record.argsHash !== undefined) attributes[ATTR_MCP_TOOL_ARGUMENTS_HASH] = record.argsHash;
  if (record.argsSize !== undefined) attributes[ATTR_MCP_TOOL_ARGUMENTS_SIZE] = record.argsSize;
  // Arguments captured on the span (captureArguments) must not slip in when auditArguments is off.
  if (input.redactedArguments !== undefined) attributes[ATTR_GEN_AI_TOOL_CALL_ARGUMENTS] = input.redactedArguments;
  attributes[ATTR_MCP_AUDIT_SCHEMA_VERSION] = AUDIT_SCHEMA_VERSION;
  attributes[ATTR_MCP_AUDIT_OUTCOME] = outcome;
  attributes[ATTR_MCP_AUDIT_DURATION_MS] = input.durationMs;
  if (toolInfo) {
    attributes[ATTR_MCP_TOOL_SCHEMA_VERSION] = toolInfo.version;
    if (toolInfo.destructiveHint !== undefined) attributes[ATTR_MCP_TOOL_DESTRUCTIVE_HINT] = toolInfo.destructiveHint;
  }
  if (summary) setResultSummary(attributes, summary);
  const types = input.spanAttributes[ATTR_MCPTRAIL_REDACTION_TYPES];
  if (types !== undefined) attributes[ATTR_MCPTRAIL_REDACTION_TYPES] = types;
  copy(input.spanAttributes, attributes, FROM_SPAN_END);
  if (!input.spanExported) {
    copy(start, attributes, SESSION_CONSTANTS);
    copy(input.spanAttributes, attributes, SESSION_CONSTANTS);
  }
  const target = record.description.target;
  const what = target === undefined ? record.description.method : `${record.description.method} ${target}`;
  const [severityNumber, severityText] = SEVERITY[outcome];
  emit({
    eventName: EVENT_MCP_AUDIT_TOOL_CALL,
    timestamp: record.startEpochMs,
    severityNumber,
    severityText,
    body: `${record.side === 'server' ? 'served' : 'called'} ${what}: ${outcome}${
      input.errorType ? ` (${input.errorType})` : ''
    } in ${input.durationMs.toFixed(1)} ms`,
    attributes,
    context: record.ctx,
  });
}

export interface ToolDefinitionInput {
  side: 'server' | 'client';
  serverName?: string;
  serverVersion?: string;
  toolName: string;
  info: ToolVersionInfo;
  previousVersion?: string;
  /** Already redacted. */
  description?: string;
  sessionId?: string;
  ctx: Context;
}

/** `mcp.audit.tool_definition`: a tool seen for the first time, or with a new schema version. */
export function emitToolDefinition(emit: EmitLog, input: ToolDefinitionInput): void {
  const attributes: Attributes = {
    [ATTR_EVENT_NAME]: EVENT_MCP_TOOL_DEFINITION,
    [ATTR_MCP_AUDIT_SCHEMA_VERSION]: AUDIT_SCHEMA_VERSION,
    [ATTR_MCP_SIDE]: input.side,
    [ATTR_GEN_AI_TOOL_NAME]: input.toolName,
    [ATTR_MCP_TOOL_NAME]: input.toolName,
    [ATTR_MCP_TOOL_SCHEMA_VERSION]: input.info.version,
  };
  if (input.serverName) attributes[ATTR_MCP_SERVER_NAME] = input.serverName;
  if (input.serverVersion) attributes[ATTR_MCP_SERVER_VERSION] = input.serverVersion;
  if (input.description !== undefined) attributes[ATTR_MCP_TOOL_DESCRIPTION] = input.description;
  if (input.sessionId) attributes[ATTR_MCP_SESSION_ID] = input.sessionId;
  if (input.info.destructiveHint !== undefined) attributes[ATTR_MCP_TOOL_DESTRUCTIVE_HINT] = input.info.destructiveHint;
  if (input.info.readOnlyHint !== undefined) attributes[ATTR_MCP_TOOL_READ_ONLY_HINT] = input.info.readOnlyHint;
  if (input.info.openWorldHint !== undefined) attributes[ATTR_MCP_TOOL_OPEN_WORLD_HINT] = input.info.openWorldHint;
  const changed = input.previousVersion !== undefined;
  emit({
    eventName: EVENT_MCP_TOOL_DEFINITION,
    severityNumber: changed ? SeverityNumber.WARN : SeverityNumber.INFO,
    severityText: changed ? 'WARN' : 'INFO',
    body: changed
      ? `tool ${input.toolName} redefined: ${input.previousVersion} -> ${input.info.version}`
      : `tool ${input.toolName} defined: ${input.info.version}`,
    attributes,
    context: input.ctx,
  });
}

/** `mcp.tools.list_changed` sent or received: a log record, plus an event on the active span if there is one. */
export function emitListChanged(
  emit: EmitLog,
  input: { side: 'server' | 'client'; direction: 'sent' | 'received'; sessionId?: string; serverName?: string; ctx: Context },
): void {
  const attributes: Attributes = { [ATTR_EVENT_NAME]: EVENT_MCP_TOOLS_LIST_CHANGED, [ATTR_MCP_SIDE]: input.side };
  if (input.sessionId) attributes[ATTR_MCP_SESSION_ID] = input.sessionId;
  if (input.serverName) attributes[ATTR_MCP_SERVER_NAME] = input.serverName;
  trace.getSpan(input.ctx)?.addEvent(EVENT_MCP_TOOLS_LIST_CHANGED, attributes);
  emit({
    eventName: EVENT_MCP_TOOLS_LIST_CHANGED,
    severityNumber: SeverityNumber.INFO,
    severityText: 'INFO',
    body: `tools/list_changed ${input.direction}`,
    attributes,
    context: input.ctx,
  });
}

