import { DiagLogLevel, diag } from '@opentelemetry/api';
import type { LogRecordProcessor } from '@opentelemetry/sdk-logs';
import type * as SdkNode from '@opentelemetry/sdk-node';
import type { SpanProcessor } from '@opentelemetry/sdk-trace';
import type { Redactor } from '@mcptrail/redact';
import { McpInstrumentation } from '../instrumentation';
import type { McpInstrumentationConfig } from '../types';
import { installStderrDiag, parseLogLevel } from './diag-logger';
import { DropCounter } from './drop-counter';
import { readBoolean, parseMcptrailEnv, type McptrailEnvOptions } from './env';
import type { McptrailConfigError } from './errors';
import { type ExportPlan, planExports } from './exporters';
import { ExportFailures } from './export-failures';
import { bounded, installExitHandlers } from './lifecycle';
import { type OtlpHandle, takeOverOtlpExporter } from './otlp-internals';
import { batchLogRecordProcessor, batchSpanProcessor, queueSizing } from './processors';
import { buildEnvRedactor, redactingProcessors } from './redaction';
import { defaultResourceDetectors } from './resource-detectors';
import { checkSdkLine, sdkRequire } from './sdk-packages';
import { defaultSpoolDir, Spool, type SpoolSignal } from './spool';
import { type BatchExporter, SpoolingExporter } from './spooling-exporter';

type Env = Record<string, string | undefined>;

export interface StartMcptrailOptions {
  /** Where `OTEL_*` and `MCPTRAIL_*` are read from. NodeSDK itself always reads `process.env`. @default process.env */
  env?: Env;
  /** Merged over what `MCPTRAIL_*` sets (these win). @default {} */
  instrumentation?: McpInstrumentationConfig;
  /** Flush on beforeExit, SIGTERM, SIGINT and stdin end. @default MCPTRAIL_EXIT_HANDLERS, else true */
  exitHandlers?: boolean;
}

/** A started SDK. Returned by `startMcptrail`; `register` keeps the one it starts. */
export interface McptrailSdk {
  readonly instrumentation: McpInstrumentation;
  /** The redactor shared by the instrumentation and the redacting processors (one HMAC key). */
  readonly redactor: Redactor;
  /** Spans and log records lost to full export queues. */
  readonly drops: DropCounter;
  /** Where each signal goes, e.g. `traces→otlp(http/protobuf), logs→otlp(http/protobuf), …`. */
  readonly exports: string;
  readonly options: Readonly<McptrailEnvOptions>;
  /** Export everything queued so far (bounded by MCPTRAIL_FLUSH_TIMEOUT_MS); never rejects. */
  forceFlush(): Promise<void>;
  /** Flush and stop exporting (bounded); never rejects. Idempotent. */
  shutdown(): Promise<void>;
  /**
   * Synchronous, for the exit deadline and `process.exit()`: batches in flight (and, with
   * `queued`, everything still in the batch queues) go to the spool; open export sockets are closed.
   */
  abandon(queued: boolean): void;
  /** Where undelivered log records go; undefined with MCPTRAIL_SPOOL=false. */
  readonly spoolFile: string | undefined;
}

const STARTED = Symbol.for('mcptrail.instrumentation-mcp.sdk');
type Global = typeof globalThis & { [STARTED]?: McptrailSdk };

/**
 * Assemble and start the OpenTelemetry NodeSDK with the MCP instrumentation:
 * redacting processors first in the span and log chains, burst-sized batch queues
 * with drop counting, exporters from `OTEL_*` (or Application Insights), a stderr-only
 * diag logger, and bounded flushing on exit paths. Returns undefined when
 * `OTEL_SDK_DISABLED=true`. Throws only on programming errors; `register` catches those.
 */
export function startMcptrail(options: StartMcptrailOptions = {}): McptrailSdk | undefined {
  const env = options.env ?? process.env;
  const already = (globalThis as Global)[STARTED];
  if (already !== undefined) {
    diag.warn('already started (register loaded twice?); keeping the first SDK');
    return already;
  }

  const logLevel = parseLogLevel(env.OTEL_LOG_LEVEL);
  installStderrDiag(logLevel ?? DiagLogLevel.WARN);
  if (logLevel === undefined && (env.OTEL_LOG_LEVEL?.trim() ?? '') !== '') {
    diag.error(`OTEL_LOG_LEVEL=${JSON.stringify(env.OTEL_LOG_LEVEL)} is not one of NONE, ERROR, WARN, INFO, DEBUG, VERBOSE, ALL; using WARN`);
  }
  const report = (error: McptrailConfigError): void => diag.error(`${error.message}; using the default`);

  let disabled = false;
  try {
    disabled = readBoolean(env, 'OTEL_SDK_DISABLED', false);
  } catch (error) {
    report(error as McptrailConfigError);
  }
  if (disabled) {
    diag.info('OTEL_SDK_DISABLED=true: not instrumenting');
    return undefined;
  }

  const parsed = parseMcptrailEnv(env);
  for (const error of parsed.errors) report(error);
  const settings = parsed.options;

  checkSdkLine();
  const { NodeSDK } = sdkRequire<typeof SdkNode>('@opentelemetry/sdk-node');
  const redactor = buildEnvRedactor(settings, report);
  const plan = planExports(env, report);
  const drops = new DropCounter();
  const failures = new ExportFailures();
  // The SDK reports the failures it sees itself (metrics, unspooled spans) here: one short line per kind.
  sdkRequire<{ setGlobalErrorHandler(h: (e: unknown) => void): void }>('@opentelemetry/core').setGlobalErrorHandler(failures.globalHandler);
  const spool = settings.spool
    ? new Spool({
        dir: settings.spoolDir ?? defaultSpoolDir(),
        service: serviceName(env),
        maxBytes: settings.spoolMaxBytes,
        maxAgeMillis: settings.spoolMaxAgeHours * 3_600_000,
      })
    : undefined;
  const { spanProcessors, logRecordProcessors, spoolers, handles } = buildProcessors(plan, settings, env, redactor, drops, failures, spool);

  const instrumentation = new McpInstrumentation({
    captureArguments: settings.captureArguments,
    captureResults: settings.captureResults,
    scanResults: settings.scanResults,
    clientSpans: settings.clientSpans,
    redactor,
    ...options.instrumentation,
  });

  const sdk = withoutVariable(
    'OTEL_LOG_LEVEL',
    () =>
      new NodeSDK({
        instrumentations: [instrumentation],
        spanProcessors,
        logRecordProcessors,
        metricReaders: plan.metricReaders,
        ...(env.OTEL_NODE_RESOURCE_DETECTORS === undefined ? { resourceDetectors: defaultResourceDetectors(redactor) } : {}),
      }),
  );
  sdk.start();
  drops.bindMetrics();
  // What earlier runs could not deliver; unref'd work, it never holds the process.
  setImmediate(() => {
    for (const s of spoolers) void s.exporter.replay();
  }).unref();

  const flushables = [...spanProcessors, ...logRecordProcessors, ...plan.metricReaders];
  let shutdownPromise: Promise<void> | undefined;
  const started: McptrailSdk = {
    instrumentation,
    redactor,
    drops,
    exports: plan.description,
    options: settings,
    spoolFile: spool?.file,
    abandon: (queued) => {
      let records = 0;
      for (const s of spoolers) {
        if (queued && s.exporter.spooling) records += s.exporter.spoolItems(s.takeQueue());
        records += s.exporter.abandon();
      }
      for (const h of handles) h.abortInFlight();
      if (spool !== undefined && records > 0) {
        diag.warn(`spooled ${records} unsent records to ${spool.file}; they are sent on the next start`);
      }
    },
    forceFlush: async () => {
      await bounded(
        () => Promise.all(flushables.map((f) => f.forceFlush())),
        settings.flushTimeoutMillis,
        'mcptrail flush',
      );
    },
    shutdown: () => {
      shutdownPromise ??= bounded(() => sdk.shutdown(), settings.flushTimeoutMillis, 'mcptrail shutdown').then(() => {
        started.abandon(true);
        drops.reportTotals();
        delete (globalThis as Global)[STARTED];
      });
      return shutdownPromise;
    },
  };
  (globalThis as Global)[STARTED] = started;
  process.on('exit', () => started.abandon(true));

  if (options.exitHandlers ?? settings.exitHandlers) {
    installExitHandlers(started, { timeoutMillis: settings.flushTimeoutMillis });
  }
  diag.info(`started: ${plan.description}`);
  return started;
}

interface Spooler {
  exporter: SpoolingExporter;
  /** Empties the batch processor's queue (its private array; see queuedOf) and returns what was in it. */
  takeQueue(): unknown[];
}

interface Processors {
  spanProcessors: SpanProcessor[];
  logRecordProcessors: LogRecordProcessor[];
  spoolers: Spooler[];
  /** Every OTLP/HTTP exporter taken over, metrics included, to close their sockets at the deadline. */
  handles: OtlpHandle[];
}

function buildProcessors(
  plan: ExportPlan,
  settings: McptrailEnvOptions,
  env: Env,
  redactor: Redactor,
  drops: DropCounter,
  failures: ExportFailures,
  spool: Spool | undefined,
): Processors {
  const spanSizing = queueSizing(env, 'OTEL_BSP', settings.maxQueueSize);
  const logSizing = queueSizing(env, 'OTEL_BLRP', settings.maxQueueSize);
  const spoolers: Spooler[] = [];
  const handleOf = new Map<unknown, OtlpHandle>();
  for (const [exporter, protocol] of plan.otlpProtocols) {
    if (protocol === 'grpc') continue;
    const handle = takeOverOtlpExporter(exporter);
    if (handle === undefined) diag.warn('this OTLP exporter is not of the pinned line: no spool, exporter retries kept');
    else handleOf.set(exporter, handle);
  }
  const wrap = <T>(exporter: T, signal: SpoolSignal): { exporter: T; spooling?: SpoolingExporter } => {
    const protocol = plan.otlpProtocols.get(exporter);
    const handle = handleOf.get(exporter);
    if (protocol === undefined || handle === undefined) return { exporter };
    const target = signal === 'logs' || settings.spoolSpans ? spool : undefined;
    const spooling = new SpoolingExporter(exporter as BatchExporter, handle, signal, protocol, failures, target);
    return { exporter: spooling as unknown as T, spooling };
  };
  const spanProcessors: SpanProcessor[] = plan.spanExporters.map((e) => {
    const { exporter, spooling } = wrap(e, 'traces');
    const processor = batchSpanProcessor(exporter, spanSizing, drops);
    if (spooling) spoolers.push({ exporter: spooling, takeQueue: () => queuedOf(processor, '_finishedSpans') });
    return processor;
  });
  const logRecordProcessors: LogRecordProcessor[] = plan.logExporters.map((e) => {
    const { exporter, spooling } = wrap(e, 'logs');
    const processor = batchLogRecordProcessor(exporter, logSizing, drops);
    if (spooling) spoolers.push({ exporter: spooling, takeQueue: () => queuedOf(processor, '_finishedLogRecords') });
    return processor;
  });
  // Scrubbers go first: processors run in order, so every exporter sees scrubbed data.
  if (settings.scrubAll) {
    const scrub = redactingProcessors(redactor);
    if (spanProcessors.length > 0) spanProcessors.unshift(scrub.span);
    if (logRecordProcessors.length > 0) logRecordProcessors.unshift(scrub.log);
  }
  return { spanProcessors, logRecordProcessors, spoolers, handles: [...handleOf.values()] };
}

/**
 * The batch processors' queue: `BatchSpanProcessorBase._finishedSpans` (sdk-trace 2.10) and
 * `BatchLogRecordProcessorBase._finishedLogRecords` (sdk-logs 0.221), private arrays of the pinned
 * line. Read only at exit, to spool what never reached the exporter; empty if the shape differs.
 */
function queuedOf(processor: object, field: '_finishedSpans' | '_finishedLogRecords'): unknown[] {
  const queue = (processor as Record<string, unknown>)[field];
  return Array.isArray(queue) ? queue.splice(0) : [];
}

/** `OTEL_SERVICE_NAME`, else `service.name` in `OTEL_RESOURCE_ATTRIBUTES`: names the spool file. */
function serviceName(env: Env): string {
  const direct = env.OTEL_SERVICE_NAME?.trim();
  if (direct) return direct;
  for (const pair of (env.OTEL_RESOURCE_ATTRIBUTES ?? '').split(',')) {
    const [key, value] = pair.split('=');
    if (key?.trim() === 'service.name' && value) return decodeURIComponent(value.trim());
  }
  return 'unknown_service';
}

/**
 * NodeSDK's constructor installs a console diag logger whenever OTEL_LOG_LEVEL is
 * set, and that logger prints info/debug to stdout. Hide the variable for the
 * duration of the (synchronous) constructor; our stderr logger is already in place.
 */
function withoutVariable<T>(variable: string, build: () => T): T {
  const saved = process.env[variable];
  if (saved === undefined) return build();
  delete process.env[variable];
  try {
    return build();
  } finally {
    process.env[variable] = saved;
  }
}
