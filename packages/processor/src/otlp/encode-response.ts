import type { OtlpFormat } from './decode';
import { otlpType } from './schema';

/** The three OTLP signals and the names their responses use. */
export type OtlpSignal = 'traces' | 'logs' | 'metrics';

const RESPONSE = {
  traces: { type: 'opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse', rejected: 'rejectedSpans' },
  logs: { type: 'opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse', rejected: 'rejectedLogRecords' },
  metrics: { type: 'opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse', rejected: 'rejectedDataPoints' },
} as const;

export const CONTENT_TYPE = { protobuf: 'application/x-protobuf', json: 'application/json' } as const;

/**
 * Export{Traces,Logs,Metrics}ServiceResponse. `partial_success` is set only when something was
 * rejected (OTLP: "the server MUST initialize partial_success … when it rejects some data").
 * JSON follows the protobuf JSON mapping: int64 as a decimal string.
 */
export function encodeExportResponse(
  signal: OtlpSignal,
  format: OtlpFormat,
  rejected: number,
  errorMessage: string | null,
): Buffer {
  const spec = RESPONSE[signal];
  const partial = rejected > 0 ? { [spec.rejected]: rejected, errorMessage: errorMessage ?? '' } : null;
  if (format === 'json') {
    const body = partial ? { partialSuccess: { ...partial, [spec.rejected]: String(rejected) } } : {};
    return Buffer.from(JSON.stringify(body));
  }
  const type = otlpType(spec.type);
  return Buffer.from(type.encode(type.fromObject(partial ? { partialSuccess: partial } : {})).finish());
}

/** google.rpc.Status, the body of every OTLP/HTTP error response. */
export function encodeStatus(format: OtlpFormat, grpcCode: number, message: string): Buffer {
  if (format === 'json') return Buffer.from(JSON.stringify({ code: grpcCode, message }));
  const type = otlpType('google.rpc.Status');
  return Buffer.from(type.encode(type.fromObject({ code: grpcCode, message })).finish());
}
