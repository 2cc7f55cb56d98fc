/**
 * The lean profile (`clientSpans: false`, issue 15): per call one SERVER span and its audit record; the calling
 * side records nothing of its own but still propagates trace context, so the server span joins the caller's trace.
 * Control: the same calls with the defaults produce the CLIENT spans and client metric points.
 */
import { context, SpanKind, trace } from '@opentelemetry/api';
import { afterAll, describe, expect, it } from 'vitest';
import { ATTR_MCP_AUDIT_OUTCOME, ATTR_MCP_SIDE, EVENT_MCP_AUDIT_TOOL_CALL } from '@mcptrail/conventions';
import { connectPair, createHarness, loadSdk, settle } from './helpers/harness';

const h = createHarness({ clientSpans: false, clientAudit: 'all' });
const sdk = loadSdk('current', h.instrumentation);
afterAll(() => h.instrumentation.disable());

function buildServer() {
  const server = new sdk.McpServer({ name: 'lean', version: '1' });
  server.tool('echo', 'Echo', { text: sdk.z.string() }, async ({ text }: { text: string }) => ({ content: [{ type: 'text', text }] }));
  return server;
}

async function callsUnderCallerSpan(): Promise<string> {
  const { client, close } = await connectPair(sdk, buildServer());
  h.reset();
  const caller = h.tracerProvider.getTracer('test').startSpan('agent step');
  await context.with(trace.setSpan(context.active(), caller), () => client.callTool({ name: 'echo', arguments: { text: 'hi' } }));
  caller.end();
  await client.callTool({ name: 'nope', arguments: {} }).catch(() => undefined);
  await settle();
  await close();
  return caller.spanContext().spanId;
}

describe('lean profile: clientSpans false', () => {
  it('emits the server span and audit record only, and the server span still joins the caller trace', async () => {
    const callerSpanId = await callsUnderCallerSpan();
    const mcpSpans = h.spans().filter((s) => s.name.startsWith('tools/call'));
    expect(mcpSpans.map((s) => s.kind)).toEqual([SpanKind.SERVER, SpanKind.SERVER]);
    const echo = mcpSpans.find((s) => s.name === 'tools/call echo')!;
    expect(echo.parentSpanContext?.spanId).toBe(callerSpanId);
    const records = h.logs().filter((l) => l.eventName === EVENT_MCP_AUDIT_TOOL_CALL);
    // clientAudit: 'all' has no effect without client spans: server-side records only.
    expect(records.map((r) => r.attributes[ATTR_MCP_SIDE])).toEqual(['server', 'server']);
    expect(records.map((r) => r.attributes[ATTR_MCP_AUDIT_OUTCOME]).sort()).toEqual(['ok', 'tool_error']); // 1.x: an unknown tool is an isError result
    const metrics = (await h.collectMetrics()).scopeMetrics.flatMap((s) => s.metrics.map((m) => m.descriptor.name));
    expect(metrics).not.toContain('mcp.client.operation.duration');
    expect(metrics).toContain('mcp.server.operation.duration');
  });

  it('control: with client spans on, the same calls have CLIENT spans and client metric points', async () => {
    h.instrumentation.setConfig({ clientAudit: 'all' });
    try {
      await callsUnderCallerSpan();
      const kinds = h.spans().filter((s) => s.name.startsWith('tools/call')).map((s) => s.kind);
      expect(kinds.filter((k) => k === SpanKind.CLIENT)).toHaveLength(2);
      const metrics = (await h.collectMetrics()).scopeMetrics.flatMap((s) => s.metrics.map((m) => m.descriptor.name));
      expect(metrics).toContain('mcp.client.operation.duration');
    } finally {
      h.instrumentation.setConfig({ clientSpans: false, clientAudit: 'all' });
    }
  });
});
