/**
 * Metric attributes are exported in clear and multiply time series, so what a client chooses
 * (a tool name, a method) must be neither a secret nor unbounded: names not seen in `tools/list`
 * or not in the MCP tool-name grammar collapse to one value, `_OTHER` (the OpenTelemetry
 * convention for overflow).
 */
export const METRIC_OTHER = '_OTHER';

/** MCP tool names: 1-128 of A-Z a-z 0-9 _ - . (MCP specification, "Tool names"). */
const TOOL_NAME_GRAMMAR = /^[A-Za-z0-9_.-]{1,128}$/;
/** JSON-RPC methods of the MCP specification and its notifications: lower-case words joined by '/'. */
const METHOD_GRAMMAR = /^[a-z]+(?:\/[A-Za-z_]+){0,3}$/;

/** `gen_ai.tool.name` on a metric: the name when the tool is known and the name is clean, else `_OTHER`. */
export function metricToolName(name: string, known: boolean, redactText: (s: string) => string): string {
  if (!known || !TOOL_NAME_GRAMMAR.test(name)) return METRIC_OTHER;
  return redactText(name) === name ? name : METRIC_OTHER;
}

/** `mcp.method.name` on a metric: well-formed method names as they are (the SDK rejects unknown ones), else `_OTHER`. */
export function metricMethodName(method: string): string {
  return method.length <= 64 && METHOD_GRAMMAR.test(method) ? method : METRIC_OTHER;
}

/** A method name for spans: well-formed ones as they are, anything else through the redactor. */
export function spanMethodName(method: string, redactText: (s: string) => string): string {
  return method.length <= 64 && METHOD_GRAMMAR.test(method) ? method : redactText(method);
}
