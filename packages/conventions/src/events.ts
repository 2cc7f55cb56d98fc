/** OTel log record event names (`LogRecord.eventName` and the `event.name` attribute). */

/** One per tool call, and per failed or denied request: the audit record at the source. */
export const EVENT_MCP_AUDIT_TOOL_CALL = 'mcp.audit.tool_call' as const;
/** A tool definition seen for the first time or changed (registration, `update()`, a new `tools/list`). */
export const EVENT_MCP_TOOL_DEFINITION = 'mcp.audit.tool_definition' as const;
/** `notifications/tools/list_changed` sent or received. */
export const EVENT_MCP_TOOLS_LIST_CHANGED = 'mcp.tools.list_changed' as const;
/** Alerts the processor raises, when exported as OTLP logs. */
export const EVENT_MCPTRAIL_ALERT = 'mcptrail.alert' as const;
/** Audit records the processor forwards, when exported as OTLP logs. */
export const EVENT_MCPTRAIL_AUDIT_RECORD = 'mcptrail.audit.record' as const;
