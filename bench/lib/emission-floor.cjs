'use strict';
// What the OpenTelemetry JS SDK alone costs to emit, per tool call, the signals mcptrail's defaults emit —
// no MCP, no mcptrail code: a CLIENT span (19 attributes, 4 set at its end) that injects its context into a
// `_meta` object, a SERVER span (15 attributes, 6 at its end) extracted from it, the `mcp.audit.tool_call` log
// record (17 attributes), a duration histogram point per side (3 attributes), and each side's `context.with`.
// Beside it, the same for one 4-attribute span (what @traceloop/instrumentation-mcp emits) and for the lean
// profile (no CLIENT span, no client point). The same pipeline as the instrumentation bench (lib/otel-pipeline.cjs).
// Attribute values are what one real call exports (captured from the in-memory exporter).
// node --expose-gc lib/emission-floor.cjs '{"calls":50000,"warmup":20000}'
const { context, propagation, trace, metrics, SpanKind, ROOT_CONTEXT } = require('@opentelemetry/api');
const { logs } = require('@opentelemetry/api-logs');
const v8 = require('node:v8');
const { installPipeline } = require('./otel-pipeline.cjs');

const { calls = 50_000, warmup = 20_000 } = JSON.parse(process.argv[2] ?? '{}');
const pipeline = installPipeline('counting');
const tracer = trace.getTracer('floor');
const logger = logs.getLogger('floor');
const meter = metrics.getMeter('floor');
const serverHistogram = meter.createHistogram('mcp.server.operation.duration', { unit: 's' });
const clientHistogram = meter.createHistogram('mcp.client.operation.duration', { unit: 's' });

const common = () => ({ 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'lookup_order', 'gen_ai.operation.name': 'execute_tool', 'jsonrpc.request.id': '2', 'network.transport': 'inproc' });
const clientStart = () => ({
  ...common(),
  'mcp.side': 'client',
  'mcp.session.id': '141cafde-26d9-459f-97c5-124dce09b324',
  'mcp.tool.arguments.hash': 'hmac:ephemeral:152516f0536bd913b84df1a6cb712917d9846e22c2eae03ed2dbbcb3a1f9ecc4',
  'mcp.tool.arguments.size': 120,
  'mcp.protocol.version': '2025-11-25',
});
const clientEnd = () => ({
  'mcp.server.name': 'bench-orders', 'mcp.server.version': '1.0.0', 'mcp.client.name': 'bench-agent', 'mcp.client.version': '1.0.0',
  'mcp.tool.schema.version': 'sha256:f03451d2c51c3371', 'mcp.tool.result.size': 69, 'mcp.tool.result.content_count': 1,
  'mcp.tool.result.content_types': ['text'], 'mcp.tool.result.is_error': false,
});
const serverStart = () => ({ ...common(), 'mcp.side': 'server', 'mcp.session.id': 'a5c4914f-f25f-453a-87dc-931641a6c5d6', 'mcp.protocol.version': '2025-11-25' });
const serverEnd = () => ({
  'mcp.server.name': 'bench-orders', 'mcp.server.version': '1.0.0', 'mcp.client.name': 'bench-agent', 'mcp.client.version': '1.0.0',
  'mcp.tool.schema.version': 'sha256:f03451d2c51c3371', 'mcptrail.redaction.count': 1, 'mcptrail.redaction.types': ['email'],
});
const auditAttributes = () => ({
  'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'lookup_order', 'jsonrpc.request.id': '2', 'mcp.side': 'server',
  'mcp.session.id': 'a5c4914f-f25f-453a-87dc-931641a6c5d6',
  'mcp.tool.arguments.hash': 'hmac:ephemeral:152516f0536bd913b84df1a6cb712917d9846e22c2eae03ed2dbbcb3a1f9ecc4',
  'mcp.tool.arguments.size': 120,
  'gen_ai.tool.call.arguments': '{"orderId":"A-1042","include":["items","shipping"],"customer":{"email":"[REDACTED:email]","tier":"gold"},"limit":10}',
  'mcp.audit.schema.version': '1', 'mcp.audit.outcome': 'ok', 'mcp.audit.duration_ms': 5.54, 'mcp.tool.schema.version': 'sha256:f03451d2c51c3371',
  'mcp.tool.result.size': 69, 'mcp.tool.result.content_count': 1, 'mcp.tool.result.content_types': ['text'], 'mcp.tool.result.is_error': false,
  'mcptrail.redaction.types': ['email'],
});
const metricAttributes = () => ({ 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'lookup_order', 'network.transport': 'inproc' });

function serverSide(meta) {
  const parent = propagation.extract(ROOT_CONTEXT, meta);
  const span = tracer.startSpan('tools/call lookup_order', { kind: SpanKind.SERVER, attributes: serverStart() }, parent);
  context.with(trace.setSpan(parent, span), () => {});
  span.setAttributes(serverEnd());
  serverHistogram.record(0.0002, metricAttributes());
  logger.emit({ eventName: 'mcp.audit.tool_call', attributes: auditAttributes(), context: trace.setSpan(parent, span) });
  span.end();
}

const modes = {
  defaults() {
    const span = tracer.startSpan('tools/call lookup_order', { kind: SpanKind.CLIENT, attributes: clientStart() }, ROOT_CONTEXT);
    const ctx = trace.setSpan(ROOT_CONTEXT, span);
    const meta = {};
    context.with(ctx, () => propagation.inject(context.active(), meta));
    serverSide(meta);
    span.setAttributes(clientEnd());
    clientHistogram.record(0.0003, metricAttributes());
    span.end();
  },
  lean() {
    const meta = {};
    propagation.inject(ROOT_CONTEXT, meta);
    serverSide(meta);
  },
  'one 4-attribute span': () => {
    const span = tracer.startSpan('tools/call', { kind: SpanKind.CLIENT, attributes: { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'lookup_order', 'traceloop.span.kind': 'tool', 'traceloop.entity.name': 'lookup_order' } });
    context.with(trace.setSpan(ROOT_CONTEXT, span), () => {});
    span.end();
  },
};

function measure(fn, n) {
  const gcProfiler = new v8.GCProfiler();
  const used0 = v8.getHeapStatistics().used_heap_size;
  gcProfiler.start();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < n; i++) fn();
  const cpu = process.cpuUsage(cpu0);
  const used1 = v8.getHeapStatistics().used_heap_size;
  const freed = gcProfiler.stop().statistics.reduce((s, g) => s + g.beforeGC.heapStatistics.usedHeapSize - g.afterGC.heapStatistics.usedHeapSize, 0);
  return { usPerCall: (cpu.user + cpu.system) / n, allocatedKiBPerCall: (used1 - used0 + freed) / 1024 / n };
}

async function main() {
  const result = {};
  for (const [name, fn] of Object.entries(modes)) {
    measure(fn, warmup);
    await pipeline.flush();
    global.gc?.();
    // Batches of 1,000 with a flush between, so the batch processors export as they would in a live process.
    let us = 0;
    let kib = 0;
    for (let done = 0; done < calls; done += 1000) {
      const r = measure(fn, 1000);
      us += r.usPerCall;
      kib += r.allocatedKiBPerCall;
      await new Promise(setImmediate);
    }
    const batches = calls / 1000;
    result[name] = { usPerCall: us / batches, allocatedKiBPerCall: kib / batches };
  }
  await pipeline.flush();
  result.exported = pipeline.exported();
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}
main();
