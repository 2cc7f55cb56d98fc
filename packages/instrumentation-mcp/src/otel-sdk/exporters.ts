import { diag } from '@opentelemetry/api';
import type { LogRecordExporter } from '@opentelemetry/sdk-logs';
import type * as SdkMetrics from '@opentelemetry/sdk-metrics';
import type { IMetricReader, PushMetricExporter } from '@opentelemetry/sdk-metrics';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import { McptrailConfigError, REGISTER_ERRORS } from './errors';
import { sdkRequire } from './sdk-packages';

type Env = Record<string, string | undefined>;
export type Signal = 'traces' | 'logs' | 'metrics';

/** The exporters start-up chose, per signal. Processors and readers are built around them. */
export interface ExportPlan {
  spanExporters: SpanExporter[];
  logExporters: LogRecordExporter[];
  metricReaders: IMetricReader[];
  /** The OTLP protocol of each OTLP exporter (the spool takes over the HTTP ones). */
  otlpProtocols: Map<unknown, OtlpProtocol>;
  /** Human-readable, for one diag line at start-up. */
  description: string;
}

export const APPLICATIONINSIGHTS_CONNECTION_STRING = 'APPLICATIONINSIGHTS_CONNECTION_STRING';
const EXPORTER_VARIABLE: Record<Signal, string> = {
  traces: 'OTEL_TRACES_EXPORTER',
  logs: 'OTEL_LOGS_EXPORTER',
  metrics: 'OTEL_METRICS_EXPORTER',
};
const PROTOCOLS = ['http/protobuf', 'http/json', 'grpc'] as const;
export type OtlpProtocol = (typeof PROTOCOLS)[number];
const SUPPORTED_EXPORTERS = ['otlp', 'none', 'console'] as const;

/**
 * Choose exporters from `OTEL_{TRACES,LOGS,METRICS}_EXPORTER`, the OTLP protocol
 * variables and `APPLICATIONINSIGHTS_CONNECTION_STRING`. Endpoint, headers,
 * compression and timeouts stay with each OTLP exporter's own `OTEL_EXPORTER_OTLP_*` handling.
 * Bad values are reported through `report` and replaced by defaults.
 */
export function planExports(env: Env, reportEach: (error: McptrailConfigError) => void): ExportPlan {
  // One report per bad variable, although several signals read it.
  const reported = new Set<string>();
  const report = (error: McptrailConfigError): void => {
    if (reported.has(error.message)) return;
    reported.add(error.message);
    reportEach(error);
  };
  const azure = azureConnectionString(env, report);
  const parts: string[] = [];
  const plan: ExportPlan = { spanExporters: [], logExporters: [], metricReaders: [], otlpProtocols: new Map(), description: '' };

  for (const signal of ['traces', 'logs', 'metrics'] as const) {
    // With Application Insights configured, OTLP is used only where asked for explicitly.
    const names = exporterNames(env, signal, azure === undefined ? ['otlp'] : [], report);
    const explicit = (env[EXPORTER_VARIABLE[signal]]?.trim() ?? '') !== '';
    const none = explicit && names.length === 0;
    // Metrics follow Application Insights only while OTEL_METRICS_EXPORTER is unset.
    const azureHere = azure !== undefined && !none && (signal !== 'metrics' || !explicit);
    if (azureHere) {
      const made = makeAzureExporter(signal, azure, report);
      if (made !== undefined) {
        addExporter(plan, signal, made, env);
        parts.push(`${signal}→azure-monitor`);
      }
    }
    if (names.includes('otlp')) {
      const protocol = otlpProtocol(env, signal, report);
      const made = makeOtlpExporter(signal, protocol, report);
      plan.otlpProtocols.set(made.exporter, made.protocol);
      addExporter(plan, signal, made.exporter, env);
      parts.push(`${signal}→otlp(${protocol})`);
    }
  }
  plan.description = parts.length > 0 ? parts.join(', ') : 'no exporters';
  return plan;
}

function addExporter(plan: ExportPlan, signal: Signal, exporter: unknown, env: Env): void {
  if (signal === 'traces') plan.spanExporters.push(exporter as SpanExporter);
  else if (signal === 'logs') plan.logExporters.push(exporter as LogRecordExporter);
  else plan.metricReaders.push(periodicReader(exporter as PushMetricExporter, env));
}

function periodicReader(exporter: PushMetricExporter, env: Env): IMetricReader {
  const interval = positiveInt(env.OTEL_METRIC_EXPORT_INTERVAL) ?? 60_000;
  const timeout = Math.min(positiveInt(env.OTEL_METRIC_EXPORT_TIMEOUT) ?? 30_000, interval);
  const { PeriodicExportingMetricReader } = sdkRequire<typeof SdkMetrics>('@opentelemetry/sdk-metrics');
  return new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: interval, exportTimeoutMillis: timeout });
}

export function positiveInt(value: string | undefined): number | undefined {
  if (value === undefined || !/^\s*\d+\s*$/.test(value)) return undefined;
  const n = Number(value);
  return n > 0 && Number.isSafeInteger(n) ? n : undefined;
}

/** The exporter names for a signal; `none` wins; `console` is refused (it writes to stdout). */
export function exporterNames(
  env: Env,
  signal: Signal,
  fallback: string[],
  report: (error: McptrailConfigError) => void,
): string[] {
  const variable = EXPORTER_VARIABLE[signal];
  const value = env[variable]?.trim();
  if (value === undefined || value === '') return fallback;
  const names = [...new Set(value.split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== ''))];
  if (names.includes('none')) return [];
  const kept: string[] = [];
  for (const name of names) {
    if (name === 'otlp') kept.push(name);
    else if (name === 'console') {
      // The console exporters print to stdout: the JSON-RPC channel of a stdio MCP server.
      diag.warn(`${variable}=console is not supported by mcptrail (it writes to stdout); ignored`);
    } else {
      report(
        new McptrailConfigError(
          'MCPTRAIL_ERR_ENV_ENUM',
          variable,
          REGISTER_ERRORS.MCPTRAIL_ERR_ENV_ENUM(variable, name, SUPPORTED_EXPORTERS),
        ),
      );
    }
  }
  return kept.length > 0 || names.every((n) => n === 'console') ? kept : fallback;
}

/** `OTEL_EXPORTER_OTLP_<SIGNAL>_PROTOCOL`, else `OTEL_EXPORTER_OTLP_PROTOCOL`, else `http/protobuf`. */
export function otlpProtocol(env: Env, signal: Signal, report: (error: McptrailConfigError) => void): OtlpProtocol {
  const specific = `OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_PROTOCOL`;
  for (const variable of [specific, 'OTEL_EXPORTER_OTLP_PROTOCOL']) {
    const value = env[variable]?.trim();
    if (value === undefined || value === '') continue;
    if ((PROTOCOLS as readonly string[]).includes(value)) return value as OtlpProtocol;
    report(new McptrailConfigError('MCPTRAIL_ERR_ENV_ENUM', variable, REGISTER_ERRORS.MCPTRAIL_ERR_ENV_ENUM(variable, value, PROTOCOLS)));
    return 'http/protobuf';
  }
  return 'http/protobuf';
}

const OTLP_PACKAGES: Record<Signal, Record<OtlpProtocol, string>> = {
  traces: {
    'http/protobuf': '@opentelemetry/exporter-trace-otlp-proto',
    'http/json': '@opentelemetry/exporter-trace-otlp-http',
    grpc: '@opentelemetry/exporter-trace-otlp-grpc',
  },
  logs: {
    'http/protobuf': '@opentelemetry/exporter-logs-otlp-proto',
    'http/json': '@opentelemetry/exporter-logs-otlp-http',
    grpc: '@opentelemetry/exporter-logs-otlp-grpc',
  },
  metrics: {
    'http/protobuf': '@opentelemetry/exporter-metrics-otlp-proto',
    'http/json': '@opentelemetry/exporter-metrics-otlp-http',
    grpc: '@opentelemetry/exporter-metrics-otlp-grpc',
  },
};
const OTLP_CLASS: Record<Signal, string> = {
  traces: 'OTLPTraceExporter',
  logs: 'OTLPLogExporter',
  metrics: 'OTLPMetricExporter',
};

/** Loaded lazily: only the chosen protocol's exporter (gRPC pulls in @grpc/grpc-js) is required. */
function makeOtlpExporter(
  signal: Signal,
  protocol: OtlpProtocol,
  report: (error: McptrailConfigError) => void,
): { exporter: unknown; protocol: OtlpProtocol } {
  try {
    return { exporter: construct(OTLP_PACKAGES[signal][protocol], OTLP_CLASS[signal]), protocol };
  } catch (error) {
    if (protocol === 'http/protobuf') throw error;
    const variable = 'OTEL_EXPORTER_OTLP_PROTOCOL';
    report(
      new McptrailConfigError(
        'MCPTRAIL_ERR_EXPORTER_UNAVAILABLE',
        variable,
        `${REGISTER_ERRORS.MCPTRAIL_ERR_EXPORTER_UNAVAILABLE(variable, protocol, errorMessage(error))}; using http/protobuf`,
      ),
    );
    return { exporter: construct(OTLP_PACKAGES[signal]['http/protobuf'], OTLP_CLASS[signal]), protocol: 'http/protobuf' };
  }
}

function construct(packageName: string, className: string, options?: object): unknown {
  // Loaded on demand: only the chosen exporters (and the Azure SDK only on its path) are ever required.
  const mod = sdkRequire<Record<string, new (options?: object) => unknown>>(packageName);
  const Ctor = mod[className];
  if (typeof Ctor !== 'function') throw new Error(`${packageName} has no ${className}`);
  return new Ctor(options);
}

/** First line only: a MODULE_NOT_FOUND message continues with the whole require stack. */
function errorMessage(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}

function isMissing(error: unknown, packageName: string): boolean {
  const e = error as { code?: string; message?: string } | undefined;
  return e?.code === 'MODULE_NOT_FOUND' && (e.message ?? '').includes(`'${packageName}'`);
}

/** The connection string when it is set and usable; never echoed (it carries the instrumentation key). */
export function azureConnectionString(env: Env, report: (error: McptrailConfigError) => void): string | undefined {
  const value = env[APPLICATIONINSIGHTS_CONNECTION_STRING]?.trim();
  if (value === undefined || value === '') return undefined;
  if (!/(^|;)\s*InstrumentationKey\s*=\s*[^;\s]+/i.test(value)) {
    report(
      new McptrailConfigError(
        'MCPTRAIL_ERR_ENV_CONNECTION_STRING',
        APPLICATIONINSIGHTS_CONNECTION_STRING,
        REGISTER_ERRORS.MCPTRAIL_ERR_ENV_CONNECTION_STRING(APPLICATIONINSIGHTS_CONNECTION_STRING),
      ),
    );
    return undefined;
  }
  return value;
}

const AZURE_PACKAGE = '@azure/monitor-opentelemetry-exporter';
/** The maintained line (npm's `latest` tag points at a 2024 preview that ignores IngestionEndpoint). */
const AZURE_VERSION = '1.0.0-beta.45';
const AZURE_CLASS: Record<Signal, string> = {
  traces: 'AzureMonitorTraceExporter',
  logs: 'AzureMonitorLogExporter',
  metrics: 'AzureMonitorMetricExporter',
};

/**
 * Required only on this path: an optional peer of `@mcptrail/register` (large, and it declares
 * engines node>=22, so installing it on Node 20 warns EBADENGINE; it does run on 20).
 */
function makeAzureExporter(
  signal: Signal,
  connectionString: string,
  report: (error: McptrailConfigError) => void,
): unknown | undefined {
  try {
    return construct(AZURE_PACKAGE, AZURE_CLASS[signal], { connectionString });
  } catch (error) {
    if (isMissing(error, AZURE_PACKAGE)) {
      report(
        new McptrailConfigError(
          'MCPTRAIL_ERR_EXPORTER_UNAVAILABLE',
          APPLICATIONINSIGHTS_CONNECTION_STRING,
          REGISTER_ERRORS.MCPTRAIL_ERR_EXPORTER_UNAVAILABLE(
            APPLICATIONINSIGHTS_CONNECTION_STRING,
            AZURE_PACKAGE,
            `not installed: npm install ${AZURE_PACKAGE}@${AZURE_VERSION} (it declares Node >= 22); not exporting to Application Insights`,
          ),
        ),
      );
      return undefined;
    }
    report(
      new McptrailConfigError(
        'MCPTRAIL_ERR_EXPORTER_UNAVAILABLE',
        APPLICATIONINSIGHTS_CONNECTION_STRING,
        REGISTER_ERRORS.MCPTRAIL_ERR_EXPORTER_UNAVAILABLE(APPLICATIONINSIGHTS_CONNECTION_STRING, AZURE_PACKAGE, errorMessage(error)),
      ),
    );
    return undefined;
  }
}
