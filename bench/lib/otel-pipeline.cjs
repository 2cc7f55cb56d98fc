'use strict';
// The OpenTelemetry pipeline every instrumentation bench worker installs: ALS context, W3C propagators,
// batch processors into a counting (keeps nothing) or in-memory exporter, an idle metric reader.
const { context, propagation, trace, metrics, diag, DiagLogLevel } = require('@opentelemetry/api');
const { logs } = require('@opentelemetry/api-logs');
const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks');
const { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } = require('@opentelemetry/core');
const { BasicTracerProvider, BatchSpanProcessor, InMemorySpanExporter } = require('@opentelemetry/sdk-trace-base');
const { BatchLogRecordProcessor, InMemoryLogRecordExporter, LoggerProvider } = require('@opentelemetry/sdk-logs');
const { MeterProvider, MetricReader } = require('@opentelemetry/sdk-metrics');

/** Counts what it is given and keeps nothing: the cheapest real exporter. */
class CountingExporter {
  count = 0;
  export(items, done) {
    this.count += items.length;
    done({ code: 0 });
  }
  forceFlush() {
    return Promise.resolve();
  }
  shutdown() {
    return Promise.resolve();
  }
}

/** A reader nobody collects from: instruments record into the SDK's aggregators as in production. */
class IdleMetricReader extends MetricReader {
  async onForceFlush() {}
  async onShutdown() {}
}

/**
 * Installs the global providers (unless `install` is false: the "no tracer provider" mode) and returns them
 * with their exporters. Queue drops would make a mode look cheaper than it is: `dropWarnings()` counts the
 * SDK's own warnings about them.
 */
function installPipeline(exporter, { install = true } = {}) {
  if (exporter !== 'counting' && exporter !== 'memory') throw new Error(`exporter must be 'counting' or 'memory', got '${exporter}'`);
  let dropWarnings = 0;
  diag.setLogger(
    {
      error: (m) => process.stderr.write(`diag error: ${m}\n`),
      warn: (m) => {
        if (/dropped/i.test(m)) dropWarnings++;
        else process.stderr.write(`diag warn: ${m}\n`);
      },
      info: () => {},
      debug: () => {},
      verbose: () => {},
    },
    DiagLogLevel.WARN,
  );
  const spanExporter = exporter === 'counting' ? new CountingExporter() : new InMemorySpanExporter();
  const logExporter = exporter === 'counting' ? new CountingExporter() : new InMemoryLogRecordExporter();
  // Batches export as soon as 512 are queued, so a large queue never fills during a burst.
  const queue = { maxQueueSize: 65_536, maxExportBatchSize: 512, scheduledDelayMillis: 200 };
  let tracerProvider;
  let loggerProvider;
  if (install) {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
    tracerProvider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(spanExporter, queue)] });
    loggerProvider = new LoggerProvider({ processors: [new BatchLogRecordProcessor({ exporter: logExporter, ...queue })] });
    trace.setGlobalTracerProvider(tracerProvider);
    logs.setGlobalLoggerProvider(loggerProvider);
    metrics.setGlobalMeterProvider(new MeterProvider({ readers: [new IdleMetricReader()] }));
  }
  const exported = () => ({
    spans: exporter === 'counting' ? spanExporter.count : spanExporter.getFinishedSpans().length,
    logs: exporter === 'counting' ? logExporter.count : logExporter.getFinishedLogRecords().length,
  });
  const resetExported = () => {
    if (exporter === 'counting') {
      spanExporter.count = 0;
      logExporter.count = 0;
    } else {
      spanExporter.reset();
      logExporter.reset();
    }
  };
  const flush = async () => {
    await tracerProvider?.forceFlush();
    await loggerProvider?.forceFlush();
  };
  return { tracerProvider, loggerProvider, spanExporter, logExporter, exported, resetExported, flush, dropWarnings: () => dropWarnings };
}

module.exports = { installPipeline };
