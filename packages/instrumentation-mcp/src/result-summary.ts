import type { Attributes } from '@opentelemetry/api';
import type { ResultSummary } from '@mcptrail/conventions';
import * as conventions from '@mcptrail/conventions';

// Read once: `@mcptrail/conventions` re-exports through CommonJS getters, too slow to read per call.
const { ATTR_MCP_TOOL_RESULT_CONTENT_COUNT, ATTR_MCP_TOOL_RESULT_CONTENT_TYPES, ATTR_MCP_TOOL_RESULT_IS_ERROR, ATTR_MCP_TOOL_RESULT_SIZE } =
  conventions;

/** `mcp.tool.result.size`, `.content_count`, `.content_types`, `.is_error`. */
export function setResultSummary(attrs: Attributes, summary: ResultSummary): void {
  attrs[ATTR_MCP_TOOL_RESULT_SIZE] = summary.size;
  attrs[ATTR_MCP_TOOL_RESULT_CONTENT_COUNT] = summary.content_count;
  attrs[ATTR_MCP_TOOL_RESULT_CONTENT_TYPES] = summary.content_types;
  attrs[ATTR_MCP_TOOL_RESULT_IS_ERROR] = summary.is_error;
}

/** Bytes of the JSON of a value, or undefined when it has no JSON form (cycles, BigInt). */
export function jsonSize(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  try {
    const json = JSON.stringify(value);
    return json === undefined ? undefined : Buffer.byteLength(json, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Content count, types, size and isError of a `tools/call` result, without any content. `size`: the JSON size
 * when a walk already knows it (`measureJson`); otherwise the result is serialised to count it.
 */
export function summarizeToolResult(result: unknown, size?: number): ResultSummary {
  const r = (result && typeof result === 'object' ? result : {}) as { content?: unknown; isError?: unknown };
  const content = Array.isArray(r.content) ? r.content : [];
  return {
    content_count: content.length,
    content_types: content.map((c) =>
      c && typeof c === 'object' && typeof (c as { type?: unknown }).type === 'string' ? (c as { type: string }).type : 'unknown',
    ),
    size: size ?? jsonSize(result) ?? 0,
    is_error: r.isError === true,
  };
}

/** The text a tool put in an isError result (the SDK puts thrown messages there), for the error message attribute. */
export function toolErrorText(result: unknown): string | undefined {
  const content = (result as { content?: unknown } | undefined)?.content;
  if (!Array.isArray(content)) return undefined;
  const texts = content
    .filter((c): c is { type: 'text'; text: string } => c?.type === 'text' && typeof c.text === 'string')
    .map((c) => c.text);
  return texts.length > 0 ? texts.join('\n') : undefined;
}
