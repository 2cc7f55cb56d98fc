import { type Context, ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import { type AnyValueMap, type Logger as OtelLogger, SeverityNumber } from '@opentelemetry/api-logs';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { OTLPLogExporter as OtlpJsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as OtlpProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { type LogRecordExporter, type LogRecordProcessor, LoggerProvider, type SdkLogRecord } from '@opentelemetry/sdk-logs';
import {
  ATTR_EVENT_NAME,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_MCP_AUDIT_OUTCOME,
  ATTR_MCP_METHOD_NAME,
  ATTR_MCP_SESSION_ID,
  ATTR_MCPTRAIL_ALERT_COUNT,
  ATTR_MCPTRAIL_ALERT_DEDUP_KEY,
  ATTR_MCPTRAIL_ALERT_ID,
  ATTR_MCPTRAIL_ALERT_LEVEL,
  ATTR_MCPTRAIL_ALERT_RULE_ID,
  ATTR_MCPTRAIL_ALERT_TAGS,
  ATTR_MCPTRAIL_AUDIT_CHAIN_ID,
  ATTR_MCPTRAIL_AUDIT_HASH,
  ATTR_MCPTRAIL_AUDIT_SEQ,
  ATTR_ENDUSER_ID,
  ATTR_SERVICE_NAME,
  type AuditRecord,
  EVENT_MCPTRAIL_ALERT,
  EVENT_MCPTRAIL_AUDIT_RECORD,
} from '@mcptrail/conventions';
import type { Alert, AlertLevel } from '../detect/types';
import type { Logger } from '../logger';
import type { Sink, SinkStats } from './types';
import { EVENT_MCPTRAIL_CHECKPOINT, type WitnessEntry } from '../witness/file-witness';

export interface OtlpLogsSinkOptions {
  /** Full logs URL, e.g. `http://collector:4318/v1/logs`. */
  endpoint: string;
  protocol: 'http/protobuf' | 'http/json';
  headers: Record<string, string>;
  records: boolean;
  timeoutMs: number;
  logger: Logger;
  /** `service.name` of the exported resource. @default 'mcptrail-processor' */
  serviceName?: string;
  /** Log records per export request. @default 512 */
  maxBatch?: number;
  /** Log records waiting at most; the oldest are dropped past it. @default 10000 */
  maxQueue?: number;
  /** @default 1000 */
  exportIntervalMs?: number;
}

const SEVERITY: Record<AlertLevel, SeverityNumber> = {
  informational: SeverityNumber.INFO,
  low: SeverityNumber.INFO4,
  medium: SeverityNumber.WARN,
  high: SeverityNumber.ERROR,
  critical: SeverityNumber.FATAL,
};

/**
 * Batches emitted log records and exports them itself (rather than the SDK's batch
 * processor) so an export failure reaches our logger with a code instead of vanishing
 * into the OTel diag channel.
 */
class ReportingBatchProcessor implements LogRecordProcessor {
  private queue: SdkLogRecord[] = [];
  private inFlight = new Set<Promise<void>>();
  private readonly timer: NodeJS.Timeout;
  readonly stats: SinkStats = { delivered: 0, failed: 0, dropped: 0 };

  constructor(
    private readonly exporter: LogRecordExporter,
    private readonly target: string,
    private readonly logger: Logger,
    private readonly maxBatch: number,
    private readonly maxQueue: number,
    intervalMs: number,
  ) {
    this.timer = setInterval(() => this.exportQueued(), intervalMs);
    this.timer.unref();
  }

  onEmit(record: SdkLogRecord): void {
    if (this.queue.length >= this.maxQueue) {
      this.queue.shift();
      this.stats.dropped += 1;
    }
    this.queue.push(record);
    if (this.queue.length >= this.maxBatch) this.exportQueued();
  }

  private exportQueued(): void {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      const p = new Promise<void>((resolve) => {
        this.exporter.export(batch, (result: ExportResult) => {
          if (result.code === ExportResultCode.SUCCESS) this.stats.delivered += batch.length;
          else {
            this.stats.failed += batch.length;
            this.logger.error('OTLP logs export failed', {
              code: 'MCPTRAIL_ERR_SINK_OTLP_EXPORT',
              target: this.target,
              records: batch.length,
              reason: result.error?.message ?? 'unknown',
              // The backend's own explanation (OTLP error bodies are short); the logger redacts it.
              ...responseOf(result.error),
            });
          }
          resolve();
        });
      });
      this.inFlight.add(p);
      void p.finally(() => this.inFlight.delete(p));
    }
  }

  async forceFlush(): Promise<void> {
    this.exportQueued();
    await Promise.all([...this.inFlight]);
  }

  async shutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.forceFlush();
    await this.exporter.shutdown();
  }
}

/** The exporter's OTLPExporterError carries the response body in `data`. */
function responseOf(error: Error | undefined): { response?: string } {
  const data = (error as { data?: unknown } | undefined)?.data;
  return typeof data === 'string' && data.length > 0 ? { response: data.slice(0, 1000) } : {};
}

/** JSON-able value → OTLP AnyValue-compatible value (AnyValue has no undefined; bigint becomes a string). */
function toAnyValue(value: unknown): unknown {
  if (value === undefined) return null;
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return value.map(toAnyValue);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toAnyValue(v);
    return out;
  }
  return value;
}

function recordContext(record: AuditRecord): Context {
  if (!record.trace_id || !record.span_id) return ROOT_CONTEXT;
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: record.trace_id,
    spanId: record.span_id,
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
  });
}

/**
 * Alerts (and optionally sealed audit records) as OTLP log records with event names
 * `mcptrail.alert` / `mcptrail.audit.record`, exported over OTLP/HTTP with the real
 * OpenTelemetry exporters, so they reach a Collector, Application Insights or a SIEM.
 */
export function createOtlpLogsSink(opts: OtlpLogsSinkOptions): Sink & { stats(): SinkStats } {
  const exporterConfig = {
    url: opts.endpoint,
    headers: opts.headers,
    timeoutMillis: opts.timeoutMs,
  };
  const exporter =
    opts.protocol === 'http/json' ? new OtlpJsonLogExporter(exporterConfig) : new OtlpProtoLogExporter(exporterConfig);
  const processor = new ReportingBatchProcessor(
    exporter,
    new URL(opts.endpoint).origin,
    opts.logger,
    opts.maxBatch ?? 512,
    opts.maxQueue ?? 10_000,
    opts.exportIntervalMs ?? 1000,
  );
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: opts.serviceName ?? 'mcptrail-processor' }),
    processors: [processor],
  });
  const otel: OtelLogger = provider.getLogger('@mcptrail/processor');
  let closed = false;

  return {
    name: 'otlp',
    wantsRecords: opts.records,
    alerts(alerts: readonly Alert[]) {
      if (closed) return;
      for (const alert of alerts) {
        otel.emit({
          eventName: EVENT_MCPTRAIL_ALERT,
          timestamp: new Date(alert.time),
          severityNumber: SEVERITY[alert.level] ?? SeverityNumber.WARN,
          severityText: alert.level,
          body: toAnyValue(alert) as AnyValueMap,
          attributes: {
            [ATTR_EVENT_NAME]: EVENT_MCPTRAIL_ALERT,
            [ATTR_MCPTRAIL_ALERT_ID]: alert.id,
            [ATTR_MCPTRAIL_ALERT_RULE_ID]: alert.rule_id,
            [ATTR_MCPTRAIL_ALERT_LEVEL]: alert.level,
            [ATTR_MCPTRAIL_ALERT_TAGS]: alert.tags,
            [ATTR_MCPTRAIL_ALERT_DEDUP_KEY]: alert.dedup_key,
            [ATTR_MCPTRAIL_ALERT_COUNT]: alert.count,
          },
        });
      }
    },
    records(records: readonly AuditRecord[]) {
      if (closed || !opts.records) return;
      for (const record of records) {
        const attributes: Record<string, string | number> = {
          [ATTR_EVENT_NAME]: EVENT_MCPTRAIL_AUDIT_RECORD,
          [ATTR_MCPTRAIL_AUDIT_CHAIN_ID]: record.chain_id,
          [ATTR_MCPTRAIL_AUDIT_SEQ]: record.seq,
          [ATTR_MCPTRAIL_AUDIT_HASH]: record.hash,
          [ATTR_MCP_METHOD_NAME]: record.method,
          [ATTR_MCP_AUDIT_OUTCOME]: record.outcome,
        };
        if (record.tool) attributes[ATTR_GEN_AI_TOOL_NAME] = record.tool;
        if (record.session_id) attributes[ATTR_MCP_SESSION_ID] = record.session_id;
        if (record.actor_id) attributes[ATTR_ENDUSER_ID] = record.actor_id;
        otel.emit({
          eventName: EVENT_MCPTRAIL_AUDIT_RECORD,
          timestamp: new Date(record.time),
          severityNumber: record.outcome === 'ok' ? SeverityNumber.INFO : SeverityNumber.WARN,
          severityText: record.outcome === 'ok' ? 'INFO' : 'WARN',
          body: toAnyValue(record) as AnyValueMap,
          attributes,
          context: recordContext(record),
        });
      }
    },
    checkpoint(entry: WitnessEntry) {
      if (closed) return;
      otel.emit({
        eventName: EVENT_MCPTRAIL_CHECKPOINT,
        timestamp: new Date(entry.time),
        severityNumber: SeverityNumber.INFO,
        severityText: 'INFO',
        body: entry.note,
        attributes: {
          [ATTR_EVENT_NAME]: EVENT_MCPTRAIL_CHECKPOINT,
          [ATTR_MCPTRAIL_AUDIT_CHAIN_ID]: entry.chain_id,
          [ATTR_MCPTRAIL_AUDIT_SEQ]: entry.seq,
          'mcptrail.checkpoint.vkey': entry.vkey,
        },
      });
    },
    flush: () => processor.forceFlush(),
    async close() {
      if (closed) return;
      closed = true;
      await provider.shutdown();
    },
    stats: () => ({ ...processor.stats }),
  };
}
