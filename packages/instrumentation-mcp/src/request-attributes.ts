import type { Attributes } from '@opentelemetry/api';
import * as conventions from '@mcptrail/conventions';
import { spanMethodName } from './metric-attributes';
import type { McpRequestLike } from './types';

// Read once: `@mcptrail/conventions` re-exports through CommonJS getters, too slow to read per call.
const {
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROMPT_NAME,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_MCP_METHOD_NAME,
  ATTR_MCP_RESOURCE_URI,
  GEN_AI_OPERATION_EXECUTE_TOOL,
} = conventions;

/** What the span name and the method-specific attributes say about one request. */
export interface RequestDescription {
  method: string;
  /** Tool name, prompt name or resource URI, when the method has one. */
  target: string | undefined;
  toolName: string | undefined;
  promptName: string | undefined;
  resourceUri: string | undefined;
  /** `params.arguments` of a tools/call (raw, unredacted). */
  toolArguments: unknown;
  spanName: string;
  attributes: Attributes;
}

const redactOptional = (v: string | undefined, redactText: (s: string) => string) =>
  v === undefined ? undefined : redactText(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

/**
 * Span name `{mcp.method.name} {target}` per the MCP semantic conventions.
 * Resource URIs can carry credentials (`?token=…`, `user:pass@`), so they pass through `redactText`.
 */
export function describeRequest(request: McpRequestLike, redactText: (s: string) => string): RequestDescription {
  const method = typeof request.method === 'string' ? request.method : 'unknown';
  const params = (request.params ?? {}) as Record<string, unknown>;
  let toolName: string | undefined;
  let promptName: string | undefined;
  let resourceUri: string | undefined;
  switch (method) {
    case 'tools/call':
      toolName = str(params['name']);
      break;
    case 'prompts/get':
      promptName = str(params['name']);
      break;
    case 'resources/read':
    case 'resources/subscribe':
    case 'resources/unsubscribe':
      resourceUri = redactOptional(str(params['uri']), redactText);
      break;
    case 'completion/complete': {
      // The completion target is a prompt (`ref/prompt`, name) or a resource template (`ref/resource`, uri).
      const ref = params['ref'] as Record<string, unknown> | undefined;
      if (ref && ref['type'] === 'ref/prompt') promptName = str(ref['name']);
      else if (ref && ref['type'] === 'ref/resource') resourceUri = redactOptional(str(ref['uri']), redactText);
      break;
    }
  }
  // Tool and prompt names are chosen by the client: a name can carry a secret, so the exported
  // copies (attributes, span name) are redacted; `toolName` stays raw for lookups.
  const shownTool = redactOptional(toolName, redactText);
  const shownPrompt = redactOptional(promptName, redactText);
  const shownMethod = spanMethodName(method, redactText);
  const target = shownTool ?? shownPrompt ?? resourceUri;
  const attributes: Attributes = {};
  attributes[ATTR_MCP_METHOD_NAME] = shownMethod;
  if (shownTool !== undefined) {
    // `mcp.tool.name` (the same value) is left to the `mcp.audit.tool_definition` record: one name per call.
    attributes[ATTR_GEN_AI_TOOL_NAME] = shownTool;
    attributes[ATTR_GEN_AI_OPERATION_NAME] = GEN_AI_OPERATION_EXECUTE_TOOL;
  }
  if (shownPrompt !== undefined) attributes[ATTR_GEN_AI_PROMPT_NAME] = shownPrompt;
  if (resourceUri !== undefined) attributes[ATTR_MCP_RESOURCE_URI] = resourceUri;
  return {
    method,
    target,
    toolName,
    promptName,
    resourceUri,
    toolArguments: method === 'tools/call' ? params['arguments'] : undefined,
    spanName: target === undefined ? shownMethod : `${shownMethod} ${target}`,
    attributes,
  };
}
