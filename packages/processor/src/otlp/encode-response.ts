import type { OtlpFormat } from './decode';

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
  if (!partial) return Buffer.alloc(0);
  // partial_success = 1 { rejected_* = 1 (int64); error_message = 2 }
  return lengthDelimited(1, Buffer.concat([varintField(1, rejected), stringField(2, errorMessage ?? '')]));
}

/** google.rpc.Status, the body of every OTLP/HTTP error response. */
export function encodeStatus(format: OtlpFormat, grpcCode: number, message: string): Buffer {
  if (format === 'json') return Buffer.from(JSON.stringify({ code: grpcCode, message }));
  // google.rpc.Status { code = 1 (int32); message = 2 }
  return Buffer.concat([varintField(1, grpcCode), stringField(2, message)]);
}

// The responses are two small messages: written by hand, so answering never loads protobufjs's
// reflection (which took 260 ms of the event loop on the first request). Every field is
// written, even at its default, as protobufjs wrote them (test/otlp/encode-response.test.ts).
function varint(n: number): Buffer {
  const out: number[] = [];
  let v = Math.max(0, Math.floor(n));
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return Buffer.from(out);
}

function varintField(field: number, n: number): Buffer {
  return Buffer.concat([varint(field * 8), varint(n)]);
}

function lengthDelimited(field: number, bytes: Buffer): Buffer {
  return Buffer.concat([varint(field * 8 + 2), varint(bytes.length), bytes]);
}

function stringField(field: number, text: string): Buffer {
  return lengthDelimited(field, Buffer.from(text, 'utf8'));
}
