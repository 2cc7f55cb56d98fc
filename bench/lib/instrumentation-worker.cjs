'use strict';
// One instrumentation mode in a fresh process: a real McpServer and Client over the SDK's
// InMemoryTransport, the same OpenTelemetry pipeline for every mode, timed callTool loops.
// Prints one JSON line on stdout. Usage: node --expose-gc instrumentation-worker.cjs '<json options>'
const { installPipeline } = require('./otel-pipeline.cjs');
const v8 = require('node:v8');

// `-v2` modes run the same calls on MCP SDK 2.x (`@modelcontextprotocol/server` + `/client`).
// `mcptrail-lean`: the documented lean profile (server span + audit record, no client span).
// `mcptrail-before`: the defaults of another build of the package (`before`: its directory), for same-run before/after.
const MODES = ['none', 'provider', 'mcptrail', 'mcptrail-lean', 'mcptrail-before', 'traceloop', 'arize', 'provider-v2', 'mcptrail-v2'];
const opts = JSON.parse(process.argv[2] ?? '{}');
const { exporter, calls = 5000, warmup = 2000, concurrency = 64, heapCalls = 0 } = opts;
// Bounds workloads (issue 14): `tools` extra tools on the server and `op: 'list'` (time tools/list), or an
// argument of `argBytes` bytes (time that tools/call).
const { tools: extraTools = 0, op = 'call', argBytes = 0 } = opts;
if (!MODES.includes(opts.mode)) throw new Error(`mode must be one of ${MODES.join(', ')}, got '${opts.mode}'`);
const v2 = opts.mode.endsWith('-v2');
const mode = opts.mode.replace(/-v2$/, '');

const { tracerProvider, loggerProvider, spanExporter, logExporter, exported, resetExported, flush, dropWarnings } = installPipeline(exporter, { install: mode !== 'none' });

// Instrumentations are enabled before the MCP SDK is first required, as `--require register` does.
let afterLoad = () => {};
if (mode === 'mcptrail' || mode === 'mcptrail-lean' || mode === 'mcptrail-before') {
  const { McpInstrumentation } = require(mode === 'mcptrail-before' ? opts.before : '@mcptrail/instrumentation-mcp');
  const instrumentation = new McpInstrumentation({ enabled: false, ...(mode === 'mcptrail-lean' ? { clientSpans: false } : {}) });
  instrumentation.setTracerProvider(tracerProvider);
  instrumentation.setLoggerProvider(loggerProvider);
  instrumentation.enable();
} else if (mode === 'traceloop') {
  const { McpInstrumentation } = require('@traceloop/instrumentation-mcp');
  const instrumentation = new McpInstrumentation();
  instrumentation.setTracerProvider(tracerProvider);
  // Its module hooks never fire for the SDK's exports map; the documented manual call is needed.
  afterLoad = (sdk) => instrumentation.manuallyInstrument({ Client: sdk.Client, Server: sdk.Server });
} else if (mode === 'arize') {
  const { MCPInstrumentation } = require('@arizeai/openinference-instrumentation-mcp');
  const instrumentation = new MCPInstrumentation();
  instrumentation.setTracerProvider(tracerProvider);
  // It patches only transports (context propagation); InMemoryTransport is not among them.
  afterLoad = () =>
    instrumentation.manuallyInstrument({
      clientStdioModule: require('@modelcontextprotocol/sdk/client/stdio.js'),
      serverStdioModule: require('@modelcontextprotocol/sdk/server/stdio.js'),
      clientSSEModule: require('@modelcontextprotocol/sdk/client/sse.js'),
      serverSSEModule: require('@modelcontextprotocol/sdk/server/sse.js'),
      clientStreamableHTTPModule: require('@modelcontextprotocol/sdk/client/streamableHttp.js'),
      serverStreamableHTTPModule: require('@modelcontextprotocol/sdk/server/streamableHttp.js'),
    });
}

const sdk = v2
  ? {
      McpServer: require('@modelcontextprotocol/server').McpServer,
      Server: require('@modelcontextprotocol/server').Server,
      Client: require('@modelcontextprotocol/client').Client,
      InMemoryTransport: require('@modelcontextprotocol/server').InMemoryTransport,
    }
  : {
      McpServer: require('@modelcontextprotocol/sdk/server/mcp.js').McpServer,
      Server: require('@modelcontextprotocol/sdk/server/index.js').Server,
      Client: require('@modelcontextprotocol/sdk/client/index.js').Client,
      InMemoryTransport: require('@modelcontextprotocol/sdk/inMemory.js').InMemoryTransport,
    };
afterLoad(sdk);
const { z } = require('zod');

const { ARGS, connectPair } = require('./mcp-pair.cjs');

function bigText(bytes) {
  const words = ['order', 'shipped', 'customer', 'warehouse', 'invoice', 'delivery', 'parcel', 'address', 'refund', 'status'];
  const parts = [];
  let n = 0;
  for (let i = 0; n < bytes; i++) {
    const w = `${words[i % words.length]}-${i % 997} `;
    parts.push(w);
    n += w.length;
  }
  return parts.join('').slice(0, bytes);
}

async function main() {
  const { client } = await connectPair(sdk, z, { v2, extraTools });

  // A large argument: ordinary prose-like text (not one repeated byte, which regexes skip unrealistically fast).
  const bigArgs = argBytes > 0 ? { ...ARGS, orderId: 'A-1042', notes: bigText(argBytes) } : ARGS;
  const call = op === 'list' ? () => client.listTools() : () => client.callTool({ name: 'lookup_order', arguments: bigArgs });
  const sequential = async (n) => {
    for (let i = 0; i < n; i++) await call();
  };
  const concurrent = async (n) => {
    for (let done = 0; done < n; done += concurrency) {
      const batch = [];
      for (let j = 0; j < concurrency && done + j < n; j++) batch.push(call());
      await Promise.all(batch);
    }
  };
  const timed = async (fn, n) => {
    await flush();
    resetExported();
    // Bytes allocated = heap growth plus what every GC in between freed (V8's own before/after statistics).
    const gcProfiler = new v8.GCProfiler();
    const used0 = v8.getHeapStatistics().used_heap_size;
    gcProfiler.start();
    const cpu0 = process.cpuUsage();
    const start = process.hrtime.bigint();
    await fn(n);
    const elapsed = Number(process.hrtime.bigint() - start) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const used1 = v8.getHeapStatistics().used_heap_size;
    const gcs = gcProfiler.stop().statistics;
    const freed = gcs.reduce((sum, g) => sum + g.beforeGC.heapStatistics.usedHeapSize - g.afterGC.heapStatistics.usedHeapSize, 0);
    const allocatedKiBPerCall = (used1 - used0 + freed) / 1024 / n;
    await flush();
    const got = exported();
    // CPU time (user + system) is what the shared machine's load distorts least; wall time is kept too.
    return { usPerCall: (cpu.user + cpu.system) / n, wallUsPerCall: elapsed / n, allocatedKiBPerCall, spansPerCall: got.spans / n, logsPerCall: got.logs / n };
  };

  await sequential(warmup);
  await concurrent(warmup);
  const result = { mode: opts.mode, exporter, calls, concurrency };
  result.sequential = await timed(sequential, calls);
  result.concurrent = await timed(concurrent, calls);

  // What one call emits, for the "what each peer records" table.
  if (exporter === 'memory') {
    await flush();
    resetExported();
    await call();
    await flush();
    result.sample = {
      spans: spanExporter.getFinishedSpans().map((s) => ({ name: s.name, kind: s.kind, attributes: Object.keys(s.attributes).length, hasParent: s.parentSpanContext !== undefined })),
      logs: logExporter.getFinishedLogRecords().map((l) => ({ event: l.eventName ?? l.attributes['event.name'] ?? null, attributes: Object.keys(l.attributes).length })),
    };
  }

  if (heapCalls > 0) {
    await flush();
    global.gc();
    const before = process.memoryUsage().heapUsed;
    await concurrent(heapCalls);
    await flush();
    global.gc();
    const after = process.memoryUsage().heapUsed;
    result.heap = { calls: heapCalls, beforeKiB: before / 1024, afterKiB: after / 1024, growthKiB: (after - before) / 1024 };
  }
  result.dropWarnings = dropWarnings();
  await client.close();
  await tracerProvider?.shutdown();
  await loggerProvider?.shutdown();
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
