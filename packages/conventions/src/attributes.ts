/**
 * Attribute names. This file is the only home of these strings in mcptrail.
 *
 * The MCP names follow the OpenTelemetry MCP semantic conventions (semconv 1.39,
 * since moved to the GenAI conventions). `@opentelemetry/semantic-conventions`
 * still exports them from `/incubating` but marks them deprecated, so we copy
 * them here as `as const` literals, the way contrib instrumentations do.
 */

// --- OpenTelemetry MCP / GenAI / RPC semantic conventions -------------------
export const ATTR_MCP_METHOD_NAME = 'mcp.method.name' as const;
export const ATTR_MCP_SESSION_ID = 'mcp.session.id' as const;
export const ATTR_MCP_PROTOCOL_VERSION = 'mcp.protocol.version' as const;
export const ATTR_MCP_RESOURCE_URI = 'mcp.resource.uri' as const;
export const ATTR_GEN_AI_TOOL_NAME = 'gen_ai.tool.name' as const;
export const ATTR_GEN_AI_PROMPT_NAME = 'gen_ai.prompt.name' as const;
export const ATTR_GEN_AI_OPERATION_NAME = 'gen_ai.operation.name' as const;
export const ATTR_GEN_AI_TOOL_CALL_ARGUMENTS = 'gen_ai.tool.call.arguments' as const;
export const ATTR_GEN_AI_TOOL_CALL_RESULT = 'gen_ai.tool.call.result' as const;
export const ATTR_GEN_AI_AGENT_NAME = 'gen_ai.agent.name' as const;
export const ATTR_GEN_AI_CONVERSATION_ID = 'gen_ai.conversation.id' as const;
export const ATTR_JSONRPC_REQUEST_ID = 'jsonrpc.request.id' as const;
export const ATTR_JSONRPC_PROTOCOL_VERSION = 'jsonrpc.protocol.version' as const;
export const ATTR_RPC_RESPONSE_STATUS_CODE = 'rpc.response.status_code' as const;
export const ATTR_ERROR_TYPE = 'error.type' as const;
export const ATTR_NETWORK_TRANSPORT = 'network.transport' as const;
export const ATTR_NETWORK_PROTOCOL_NAME = 'network.protocol.name' as const;
export const ATTR_CLIENT_ADDRESS = 'client.address' as const;
export const ATTR_CLIENT_PORT = 'client.port' as const;
export const ATTR_SERVER_ADDRESS = 'server.address' as const;
export const ATTR_SERVER_PORT = 'server.port' as const;
export const ATTR_ENDUSER_ID = 'enduser.id' as const;
export const ATTR_ENDUSER_SCOPE = 'enduser.scope' as const;
export const ATTR_SERVICE_NAME = 'service.name' as const;
export const ATTR_SERVICE_VERSION = 'service.version' as const;
export const ATTR_SERVICE_INSTANCE_ID = 'service.instance.id' as const;
export const ATTR_EVENT_NAME = 'event.name' as const;
/** Resource attributes the process detector sets; start-up leaves them out (command lines carry secrets). */
export const ATTR_PROCESS_COMMAND_ARGS = 'process.command_args' as const;
export const ATTR_PROCESS_COMMAND_LINE = 'process.command_line' as const;

// --- mcptrail extensions -----------------------------------------------------
export const ATTR_MCP_TOOL_NAME = 'mcp.tool.name' as const;
/** Stable fingerprint of a tool definition: `sha256:` + 16 hex chars (see toolSchemaVersion in instrumentation). */
export const ATTR_MCP_TOOL_SCHEMA_VERSION = 'mcp.tool.schema.version' as const;
export const ATTR_MCP_TOOL_DESCRIPTION = 'mcp.tool.description' as const;
/** `annotations.destructiveHint` of the tool definition, when known. */
export const ATTR_MCP_TOOL_DESTRUCTIVE_HINT = 'mcp.tool.annotations.destructive_hint' as const;
/** `annotations.readOnlyHint` of the tool definition, when known. */
export const ATTR_MCP_TOOL_READ_ONLY_HINT = 'mcp.tool.annotations.read_only_hint' as const;
/** `annotations.openWorldHint` of the tool definition, when known. */
export const ATTR_MCP_TOOL_OPEN_WORLD_HINT = 'mcp.tool.annotations.open_world_hint' as const;
/** Keyed HMAC-SHA256 of the canonical JSON of the arguments: `hmac:<keyid>:<hex>`. */
export const ATTR_MCP_TOOL_ARGUMENTS_HASH = 'mcp.tool.arguments.hash' as const;
/** Byte length of the canonical JSON of the arguments (before redaction). */
export const ATTR_MCP_TOOL_ARGUMENTS_SIZE = 'mcp.tool.arguments.size' as const;
/** Byte length of the JSON of the result (before redaction). */
export const ATTR_MCP_TOOL_RESULT_SIZE = 'mcp.tool.result.size' as const;
export const ATTR_MCP_TOOL_RESULT_CONTENT_COUNT = 'mcp.tool.result.content_count' as const;
/** string[]: the `type` of each content item, in order (`text`, `image`, `resource`, …). */
export const ATTR_MCP_TOOL_RESULT_CONTENT_TYPES = 'mcp.tool.result.content_types' as const;
export const ATTR_MCP_TOOL_RESULT_IS_ERROR = 'mcp.tool.result.is_error' as const;
/** Redacted error message (tool error text or JSON-RPC error message). */
export const ATTR_MCP_ERROR_MESSAGE = 'mcp.error.message' as const;
export const ATTR_MCP_SERVER_NAME = 'mcp.server.name' as const;
export const ATTR_MCP_SERVER_VERSION = 'mcp.server.version' as const;
export const ATTR_MCP_CLIENT_NAME = 'mcp.client.name' as const;
export const ATTR_MCP_CLIENT_VERSION = 'mcp.client.version' as const;
/** Which side recorded the telemetry: `server` or `client`. */
export const ATTR_MCP_SIDE = 'mcp.side' as const;

// --- audit log record (event `mcp.audit.tool_call`) ------------------------------
export const ATTR_MCP_AUDIT_SCHEMA_VERSION = 'mcp.audit.schema.version' as const;
/** One of AUDIT_OUTCOMES. */
export const ATTR_MCP_AUDIT_OUTCOME = 'mcp.audit.outcome' as const;
/** Call duration in milliseconds (double). */
export const ATTR_MCP_AUDIT_DURATION_MS = 'mcp.audit.duration_ms' as const;

// --- redaction reporting ------------------------------------------------------
/** Number of values the redactor changed on this span / log record. */
export const ATTR_MCPTRAIL_REDACTION_COUNT = 'mcptrail.redaction.count' as const;
/** string[]: the rule types that fired (`jwt`, `aws_access_key`, `key:password`, …), never values. */
export const ATTR_MCPTRAIL_REDACTION_TYPES = 'mcptrail.redaction.types' as const;
/** On `mcptrail.telemetry.dropped`: which queue dropped (`spans` or `logs`). */
export const ATTR_MCPTRAIL_TELEMETRY_SIGNAL = 'mcptrail.telemetry.signal' as const;

// --- processor exports (OTLP log records `mcptrail.alert` / `mcptrail.audit.record`) ---
export const ATTR_MCPTRAIL_ALERT_ID = 'mcptrail.alert.id' as const;
export const ATTR_MCPTRAIL_ALERT_RULE_ID = 'mcptrail.alert.rule_id' as const;
/** One of the alert levels: informational, low, medium, high, critical. */
export const ATTR_MCPTRAIL_ALERT_LEVEL = 'mcptrail.alert.level' as const;
/** string[]: OWASP MCP and SAFE-MCP technique ids of the rule. */
export const ATTR_MCPTRAIL_ALERT_TAGS = 'mcptrail.alert.tags' as const;
export const ATTR_MCPTRAIL_ALERT_DEDUP_KEY = 'mcptrail.alert.dedup_key' as const;
export const ATTR_MCPTRAIL_ALERT_COUNT = 'mcptrail.alert.count' as const;
/** Hash chain of an exported audit record. */
export const ATTR_MCPTRAIL_AUDIT_CHAIN_ID = 'mcptrail.audit.chain_id' as const;
/** Position of an exported audit record in its chain. */
export const ATTR_MCPTRAIL_AUDIT_SEQ = 'mcptrail.audit.seq' as const;
export const ATTR_MCPTRAIL_AUDIT_HASH = 'mcptrail.audit.hash' as const;

// --- values -------------------------------------------------------------------
export const GEN_AI_OPERATION_EXECUTE_TOOL = 'execute_tool' as const;
export const ERROR_TYPE_TOOL_ERROR = 'tool_error' as const;
export const MCP_SIDE_SERVER = 'server' as const;
export const MCP_SIDE_CLIENT = 'client' as const;
