// The ingest load generator must send what the instrumentation sends and what the processor
// accepts: a span and an audit log record per call, paired by trace context, nothing rejected.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createCallFactory } from '../lib/otlp-encode.mjs';

const require = createRequire(import.meta.url);
const { decodeLogs, decodeTraces } = require('@mcptrail/processor');
const conv = require('@mcptrail/conventions');
const captureScript = fileURLToPath(new URL('../lib/capture-shape.cjs', import.meta.url));

describe('ingest load generator', () => {
  const shape = JSON.parse(execFileSync(process.execPath, [captureScript], { encoding: 'utf8' }));

  it('copies its shape from a real instrumented tools/call', () => {
    expect(shape.span.name).toBe('tools/call lookup_order');
    expect(shape.span.attributes[conv.ATTR_MCP_METHOD_NAME]).toBe('tools/call');
    expect(shape.log.eventName).toBe(conv.EVENT_MCP_AUDIT_TOOL_CALL);
    expect(shape.log.attributes[conv.ATTR_GEN_AI_TOOL_CALL_ARGUMENTS]).toBe('{"orderId":"A-1042","limit":10}');
  });

  it('encodes batches the processor decodes without rejections, span and log paired per call', () => {
    const factory = createCallFactory(shape, { actors: 3 });
    const batch = factory.batch(100, 108);
    const traces = decodeTraces(gunzipSync(batch.traces), 'protobuf');
    const logs = decodeLogs(gunzipSync(batch.logs), 'protobuf');
    expect(traces.rejected).toBe(0);
    expect(logs.rejected).toBe(0);
    expect(traces.spans).toHaveLength(8);
    expect(logs.logs).toHaveLength(8);
    for (const [i, span] of traces.spans.entries()) {
      const log = logs.logs[i];
      expect(log.traceId).toBe(span.traceId);
      expect(log.spanId).toBe(span.spanId);
      expect(span.kind).toBe(2); // SERVER
      expect(span.attributes[conv.ATTR_ENDUSER_ID]).toBe(`agent-${(100 + i) % 3}`);
      expect(log.attributes[conv.ATTR_MCP_TOOL_ARGUMENTS_HASH]).toBe(span.attributes[conv.ATTR_MCP_TOOL_ARGUMENTS_HASH]);
      expect(log.eventName).toBe(conv.EVENT_MCP_AUDIT_TOOL_CALL);
    }
    expect(new Set(batch.traceIds).size).toBe(8);
  });

  it('plants attacks with the override (actor, tool, arguments) and distinct ids', () => {
    const factory = createCallFactory(shape, { actors: 3 });
    const normal = factory.batch(5, 6);
    const attack = factory.batch(5, 6, { actor: 'attacker-0', tool: 'run_command', args: '{"cmd":"ls; id"}', tag: 0xbad });
    expect(attack.traceIds[0]).not.toBe(normal.traceIds[0]);
    const log = decodeLogs(gunzipSync(attack.logs), 'protobuf').logs[0];
    expect(log.attributes[conv.ATTR_ENDUSER_ID]).toBe('attacker-0');
    expect(log.attributes[conv.ATTR_GEN_AI_TOOL_NAME]).toBe('run_command');
    expect(log.attributes[conv.ATTR_GEN_AI_TOOL_CALL_ARGUMENTS]).toBe('{"cmd":"ls; id"}');
  });
});
