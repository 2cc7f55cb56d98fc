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
import { bounded, installExitHandlers } from './lifecycle';
import { batchLogRecordProcessor, batchSpanProcessor, queueSizing } from './processors';
import { buildEnvRedactor, redactingProcessors } from './redaction';
import { defaultResourceDetectors } from './resource-detectors';
import { checkSdkLine, sdkRequire } from './sdk-packages';

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
  const { spanProcessors, logRecordProcessors } = buildProcessors(plan, settings, env, redactor, drops);

  const instrumentation = new McpInstrumentation({
    captureArguments: settings.captureArguments,
    captureResults: settings.captureResults,
    scanResults: settings.scanResults,
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
        ...(env.OTEL_NODE_RESOURCE_DETECTORS === undefined ? { resourceDetectors: defaultResourceDetectors() } : {}),
      }),
  );
  sdk.start();
  drops.bindMetrics();

  const flushables = [...spanProcessors, ...logRecordProcessors, ...plan.metricReaders];
  let shutdownPromise: Promise<void> | undefined;
  const started: McptrailSdk = {
    instrumentation,
    redactor,
    drops,
    exports: plan.description,
    options: settings,
    forceFlush: () =>
      bounded(
        () => Promise.all(flushables.map((f) => f.forceFlush())),
        settings.flushTimeoutMillis,
        'mcptrail flush',
      ),
    shutdown: () => {
      shutdownPromise ??= bounded(() => sdk.shutdown(), settings.flushTimeoutMillis, 'mcptrail shutdown').then(() => {
        drops.reportTotals();
        delete (globalThis as Global)[STARTED];
      });
      return shutdownPromise;
    },
  };
  (globalThis as Global)[STARTED] = started;

  if (options.exitHandlers ?? settings.exitHandlers) {
    installExitHandlers(started, { timeoutMillis: settings.flushTimeoutMillis });
  }
  diag.info(`started: ${plan.description}`);
  return started;
}

function buildProcessors(
  plan: ExportPlan,
  settings: McptrailEnvOptions,
  env: Env,
  redactor: Redactor,
  drops: DropCounter,
): { spanProcessors: SpanProcessor[]; logRecordProcessors: LogRecordProcessor[] } {
  const spanSizing = queueSizing(env, 'OTEL_BSP', settings.maxQueueSize);
  const logSizing = queueSizing(env, 'OTEL_BLRP', settings.maxQueueSize);
  const spanProcessors: SpanProcessor[] = plan.spanExporters.map((e) => batchSpanProcessor(e, spanSizing, drops));
  const logRecordProcessors: LogRecordProcessor[] = plan.logExporters.map((e) =>
    batchLogRecordProcessor(e, logSizing, drops),
  );
  // Scrubbers go first: processors run in order, so every exporter sees scrubbed data.
  if (settings.scrubAll) {
    const scrub = redactingProcessors(redactor);
    if (spanProcessors.length > 0) spanProcessors.unshift(scrub.span);
    if (logRecordProcessors.length > 0) logRecordProcessors.unshift(scrub.log);
  }
  return { spanProcessors, logRecordProcessors };
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
