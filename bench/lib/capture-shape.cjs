'use strict';
// Records one real tools/call through @mcptrail/instrumentation-mcp (McpServer + Client over the
// in-memory transport) and prints the server span and audit log record it exported, as JSON:
// the load generator copies their shape so the processor sees what the instrumentation sends.
const { context, propagation } = require('@opentelemetry/api');
const { isolate } = require('./mcp-pair.cjs');
const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks');
const { W3CTraceContextPropagator } = require('@opentelemetry/core');
const { SpanKind } = require('@opentelemetry/api');
const { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } = require('@opentelemetry/sdk-logs');
const { McpInstrumentation } = require('@mcptrail/instrumentation-mcp');
const { EVENT_MCP_AUDIT_TOOL_CALL } = require('@mcptrail/conventions');

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());
const spans = new InMemorySpanExporter();
const logRecords = new InMemoryLogRecordExporter();
const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
const loggerProvider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter: logRecords })] });
const instrumentation = new McpInstrumentation({ enabled: false });
instrumentation.setTracerProvider(tracerProvider);
instrumentation.setLoggerProvider(loggerProvider);
instrumentation.enable();

const { McpServer } = require('@modelcontextprotocol/sdk/server/mcp.js');
const { Client } = require('@modelcontextprotocol/sdk/client/index.js');
const { InMemoryTransport } = require('@modelcontextprotocol/sdk/inMemory.js');
const { z } = require('zod');

async function main() {
  const server = new McpServer({ name: 'bench-orders', version: '1.0.0' });
  server.registerTool('lookup_order', { description: 'Look up an order by id', inputSchema: { orderId: z.string(), limit: z.number().optional() } }, async (args) => ({
    content: [{ type: 'text', text: `order ${args.orderId}: shipped` }],
  }));
  const [ct, st] = InMemoryTransport.createLinkedPair();
  isolate(ct);
  isolate(st);
  await server.connect(st);
  const client = new Client({ name: 'bench-agent', version: '1.0.0' });
  await client.connect(ct);
  await client.listTools();
  spans.reset();
  logRecords.reset();
  await client.callTool({ name: 'lookup_order', arguments: { orderId: 'A-1042', limit: 10 } });
  await new Promise((r) => setImmediate(r));
  const span = spans.getFinishedSpans().find((s) => s.kind === SpanKind.SERVER && s.name.startsWith('tools/call'));
  const log = logRecords.getFinishedLogRecords().find((l) => l.eventName === EVENT_MCP_AUDIT_TOOL_CALL);
  if (!span || !log) throw new Error('the instrumentation exported no server span or audit record');
  const out = {
    span: { name: span.name, attributes: span.attributes, durationNs: span.duration[0] * 1e9 + span.duration[1] },
    log: { eventName: log.eventName, severityNumber: log.severityNumber, severityText: log.severityText, body: log.body, attributes: log.attributes },
    scope: { name: span.instrumentationScope.name, version: span.instrumentationScope.version },
  };
  await client.close();
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
