/**
 * Real OpenTelemetry SDK (in-memory exporters, a manual metric reader) and the real MCP SDK, loaded through
 * Node's own `require` so the instrumentation's require hook patches it exactly as in production.
 */
import { createRequire } from 'node:module';
import { context, propagation, ROOT_CONTEXT, trace, type Context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { SdkLogRecord } from '@opentelemetry/sdk-logs';
import { McpInstrumentation, type McpInstrumentationConfig } from '../../../src/index';

const nodeRequire = createRequire(import.meta.url);

class ManualMetricReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

export interface Harness {
  instrumentation: McpInstrumentation;
  spans(): ReadableSpan[];
  logs(): SdkLogRecord[];
  collectMetrics(): Promise<ResourceMetrics>;
  reset(): void;
  tracerProvider: BasicTracerProvider;
}

let contextReady = false;

/** One instrumentation per test file, enabled before the SDK is required (as `--require register` does). */
export function createHarness(config: McpInstrumentationConfig = {}): Harness {
  if (!contextReady) {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(
      new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
    );
    contextReady = true;
  }
  const spanExporter = new InMemorySpanExporter();
  const logExporter = new InMemoryLogRecordExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spanExporter)] });
  const loggerProvider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter: logExporter })] });
  const reader = new ManualMetricReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const instrumentation = new McpInstrumentation({ ...config, enabled: false });
  instrumentation.setTracerProvider(tracerProvider);
  instrumentation.setLoggerProvider(loggerProvider);
  instrumentation.setMeterProvider(meterProvider);
  instrumentation.enable();
  return {
    instrumentation,
    tracerProvider,
    spans: () => spanExporter.getFinishedSpans(),
    logs: () => logExporter.getFinishedLogRecords(),
    async collectMetrics() {
      const { resourceMetrics } = await reader.collect();
      return resourceMetrics;
    },
    reset() {
      spanExporter.reset();
      logExporter.reset();
    },
  };
}

/** The SDK classes a test needs, from one installed copy of the SDK. */
export interface Sdk {
  label: string;
  version: string;
  McpServer: any;
  Server: any;
  Client: any;
  InMemoryTransport: any;
  types: any;
  z: any;
}

/**
 * `current` is `@modelcontextprotocol/sdk` via Node's require (patched by the require hook);
 * `oldest` is the `mcp-sdk-oldest` alias, whose paths the hook does not know, patched with `patchSdkModule`.
 */
export function loadSdk(which: 'current' | 'oldest', instrumentation: McpInstrumentation): Sdk {
  const base = which === 'current' ? '@modelcontextprotocol/sdk' : 'mcp-sdk-oldest';
  const req = (p: string) => nodeRequire(`${base}/${p}`);
  if (which === 'oldest') {
    instrumentation.patchSdkModule(req('shared/protocol.js'), 'shared/protocol');
    instrumentation.patchSdkModule(req('server/mcp.js'), 'server/mcp');
  }
  const sdkPackageDir = nodeRequire.resolve(`${base}/server/mcp.js`).replace(/dist\/cjs\/server\/mcp\.js$/, '');
  const version = nodeRequire(`${sdkPackageDir}package.json`).version as string;
  // The zod the SDK copy itself resolves, so its schema conversion understands our schemas.
  const z = createRequire(`${sdkPackageDir}package.json`)('zod');
  return {
    label: `${which} (${version})`,
    version,
    McpServer: req('server/mcp.js').McpServer,
    Server: req('server/index.js').Server,
    Client: req('client/index.js').Client,
    InMemoryTransport: req('inMemory.js').InMemoryTransport,
    types: req('types.js'),
    z: z.z ?? z,
  };
}

/**
 * InMemoryTransport delivers synchronously, so the sender's active context would leak into the receiver
 * and fake propagation. Every message is delivered under ROOT_CONTEXT: only `_meta` can link the spans.
 */
export function isolate<T extends object>(transport: T): T {
  let handler: ((...args: unknown[]) => void) | undefined;
  Object.defineProperty(transport, 'onmessage', {
    configurable: true,
    get: () => handler,
    set(fn: ((...args: unknown[]) => void) | undefined) {
      handler = fn && ((...args: unknown[]) => context.with(ROOT_CONTEXT, () => fn(...args)));
    },
  });
  return transport;
}

/** A connected client/server pair over isolated in-memory transports. */
export async function connectPair(
  sdk: Sdk,
  server: { connect(t: unknown): Promise<void> },
  clientOptions: Record<string, unknown> = {},
  clientInfo = { name: 'test-client', version: '9.9.9' },
): Promise<{ client: any; close(): Promise<void> }> {
  const [clientTransport, serverTransport] = sdk.InMemoryTransport.createLinkedPair();
  isolate(clientTransport);
  isolate(serverTransport);
  await server.connect(serverTransport);
  const client = new sdk.Client(clientInfo, clientOptions);
  await client.connect(clientTransport);
  return {
    client,
    async close() {
      await client.close();
    },
  };
}

/** Lets pending completions (span ends after a recompute of tool versions) run. */
export const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

export const spanOf = (spans: ReadableSpan[], name: string, kind: number) => {
  const found = spans.filter((s) => s.name === name && s.kind === kind);
  if (found.length !== 1) {
    throw new Error(`expected one span "${name}" kind ${kind}, got ${found.length}: ${spans.map((s) => `${s.name}/${s.kind}`).join(', ')}`);
  }
  return found[0]!;
};

export const activeSpanId = (ctx: Context = context.active()) => trace.getSpan(ctx)?.spanContext().spanId;
