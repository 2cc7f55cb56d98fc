/**
 * `mcp.audit.tool_definition` log records are not audit records (the pipeline ignores
 * them) but they are what the rug-pull and tool-poisoning rules watch. The service picks
 * them out of each decoded logs batch and hands them, redacted, to the detector.
 */
import {
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_MCP_TOOL_DESCRIPTION,
  ATTR_MCP_TOOL_DESTRUCTIVE_HINT,
  ATTR_MCP_TOOL_NAME,
  ATTR_MCP_TOOL_SCHEMA_VERSION,
  ATTR_SERVICE_NAME,
  EVENT_MCP_TOOL_DEFINITION,
} from '@mcptrail/conventions';
import type { ToolDefinitionEvent } from './detect/types';
import type { DecodedLogs, OtlpValue } from './otlp/types';

export interface TextRedactor {
  redactText(text: string): { value: string };
}

const MAX_DESCRIPTION_CHARS = 4096;

function str(v: OtlpValue | undefined): string | null {
  return typeof v === 'string' && v.length > 0 ? v : null;
}

function isoFromNanos(nanos: bigint): string {
  const ms = Number(nanos / 1_000_000n);
  return new Date(ms > 0 ? ms : Date.now()).toISOString();
}

export function toolDefinitionsOf(batch: DecodedLogs, redactor: TextRedactor): ToolDefinitionEvent[] {
  const out: ToolDefinitionEvent[] = [];
  for (const log of batch.logs) {
    if (log.eventName !== EVENT_MCP_TOOL_DEFINITION) continue;
    const a = log.attributes;
    const tool = str(a[ATTR_MCP_TOOL_NAME]) ?? str(a[ATTR_GEN_AI_TOOL_NAME]);
    if (!tool) continue;
    const description = str(a[ATTR_MCP_TOOL_DESCRIPTION]);
    const destructive = a[ATTR_MCP_TOOL_DESTRUCTIVE_HINT];
    out.push({
      time: isoFromNanos(log.timeUnixNano || log.observedTimeUnixNano),
      service: str(log.resource.attributes[ATTR_SERVICE_NAME]) ?? 'unknown_service',
      tool: redactor.redactText(tool.slice(0, 1024)).value,
      schema_version: str(a[ATTR_MCP_TOOL_SCHEMA_VERSION]),
      description: description === null ? null : redactor.redactText(description.slice(0, MAX_DESCRIPTION_CHARS)).value,
      destructive: typeof destructive === 'boolean' ? destructive : null,
      trace_id: log.traceId,
    });
  }
  return out;
}
