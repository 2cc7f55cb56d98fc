import type { LogRecordExporter, LogRecordProcessor } from '@opentelemetry/sdk-logs';
import type * as SdkLogs from '@opentelemetry/sdk-logs';
import type * as SdkTrace from '@opentelemetry/sdk-trace';
import type { SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace';
import type { DropCounter } from './drop-counter';
import { positiveInt } from './exporters';
import { sdkRequire } from './sdk-packages';

type Env = Record<string, string | undefined>;

/** Sized for bursts of tool calls: the OTel default queue (2,048) silently drops under load. */
export interface QueueSizing {
  maxQueueSize: number;
  maxExportBatchSize: number;
  scheduledDelayMillis: number;
  exportTimeoutMillis: number;
}

export const DEFAULT_EXPORT_BATCH_SIZE = 1024;
/** Shorter than the OTel span default (5 s): audit records should leave a crashing process quickly. */
export const DEFAULT_SCHEDULE_DELAY_MS = 1000;
export const DEFAULT_EXPORT_TIMEOUT_MS = 30_000;

/** `OTEL_BSP_*` (spans) or `OTEL_BLRP_*` (logs) win over mcptrail's defaults. */
export function queueSizing(env: Env, prefix: 'OTEL_BSP' | 'OTEL_BLRP', maxQueueSize: number): QueueSizing {
  const queue = positiveInt(env[`${prefix}_MAX_QUEUE_SIZE`]) ?? maxQueueSize;
  return {
    maxQueueSize: queue,
    maxExportBatchSize: Math.min(positiveInt(env[`${prefix}_MAX_EXPORT_BATCH_SIZE`]) ?? DEFAULT_EXPORT_BATCH_SIZE, queue),
    scheduledDelayMillis: positiveInt(env[`${prefix}_SCHEDULE_DELAY`]) ?? DEFAULT_SCHEDULE_DELAY_MS,
    exportTimeoutMillis: positiveInt(env[`${prefix}_EXPORT_TIMEOUT`]) ?? DEFAULT_EXPORT_TIMEOUT_MS,
  };
}

export function batchSpanProcessor(exporter: SpanExporter, sizing: QueueSizing, drops: DropCounter): SpanProcessor {
  const { BatchSpanProcessor } = sdkRequire<typeof SdkTrace>('@opentelemetry/sdk-trace');
  return new BatchSpanProcessor({ exporter, ...sizing, selfObsMeterProvider: drops.meterProviderFor('spans') });
}

export function batchLogRecordProcessor(
  exporter: LogRecordExporter,
  sizing: QueueSizing,
  drops: DropCounter,
): LogRecordProcessor {
  const { BatchLogRecordProcessor } = sdkRequire<typeof SdkLogs>('@opentelemetry/sdk-logs');
  return new BatchLogRecordProcessor({ exporter, ...sizing, selfObsMeterProvider: drops.meterProviderFor('logs') });
}
