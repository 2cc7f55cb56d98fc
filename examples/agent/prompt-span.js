'use strict';
/**
 * One `invoke_agent` span per prompt, following the GenAI semantic conventions. The MCP client
 * spans the instrumentation creates for each tool call become its children, and the trace context
 * travels to the servers in `params._meta`, so a prompt and all its tool calls are one trace.
 *
 * The tracer provider comes from `--import @mcptrail/instrumentation-mcp/register`; without it
 * the API is a no-op and trace ids are all zeros.
 */
const { SpanKind, SpanStatusCode, trace } = require('@opentelemetry/api');
const {
  ATTR_GEN_AI_AGENT_NAME,
  ATTR_GEN_AI_CONVERSATION_ID,
  ATTR_GEN_AI_OPERATION_NAME,
} = require('@mcptrail/conventions');

const tracer = trace.getTracer('mcptrail-example-agent', '0.9.0');
const OPERATION = 'invoke_agent';

/**
 * Run `fn` inside the prompt's span; resolves with `{ traceId, value }`.
 * @template T
 * @param {{ agent: string, conversationId: string }} prompt
 * @param {(span: import('@opentelemetry/api').Span) => Promise<T>} fn
 */
function withPromptSpan(prompt, fn) {
  const attributes = {
    [ATTR_GEN_AI_OPERATION_NAME]: OPERATION,
    [ATTR_GEN_AI_AGENT_NAME]: prompt.agent,
    [ATTR_GEN_AI_CONVERSATION_ID]: prompt.conversationId,
  };
  return tracer.startActiveSpan(`${OPERATION} ${prompt.agent}`, { kind: SpanKind.INTERNAL, attributes }, async (span) => {
    try {
      const value = await fn(span);
      return { traceId: span.spanContext().traceId, value };
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.name : 'Error' });
      throw err;
    } finally {
      span.end();
    }
  });
}

module.exports = { withPromptSpan };
