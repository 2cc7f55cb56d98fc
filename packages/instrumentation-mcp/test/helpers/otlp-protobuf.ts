import path from 'node:path';
import protobuf from 'protobufjs';
import type { OtlpPath } from './otlp-receiver';

/** The OTLP .proto files the processor package vendors (read-only here). */
const PROTO_ROOT = path.resolve(__dirname, '../../../processor/proto');
const MESSAGES: Record<OtlpPath, [string, string]> = {
  '/v1/traces': ['opentelemetry/proto/collector/trace/v1/trace_service.proto', 'opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest'],
  '/v1/logs': ['opentelemetry/proto/collector/logs/v1/logs_service.proto', 'opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest'],
  '/v1/metrics': ['opentelemetry/proto/collector/metrics/v1/metrics_service.proto', 'opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest'],
};

let root: protobuf.Root | undefined;
function loadRoot(): protobuf.Root {
  if (root !== undefined) return root;
  const r = new protobuf.Root();
  r.resolvePath = (_origin, target) => path.join(PROTO_ROOT, target);
  r.loadSync(Object.values(MESSAGES).map(([file]) => file));
  root = r;
  return r;
}

/**
 * Decode an OTLP protobuf body into the same shape as OTLP/JSON (ids as hex,
 * enums as numbers, int64 as strings), so one set of assertions serves both.
 */
export function decodeOtlpProtobuf(otlpPath: OtlpPath, body: Buffer): unknown {
  const type = loadRoot().lookupType(MESSAGES[otlpPath][1]);
  const message = type.decode(body);
  const plain = type.toObject(message, { longs: String, enums: Number, bytes: Array, defaults: false });
  return hexIds(plain);
}

const ID_FIELDS = new Set(['traceId', 'spanId', 'parentSpanId']);
function hexIds(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(hexIds);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] = ID_FIELDS.has(key) && Array.isArray(v) ? Buffer.from(v as number[]).toString('hex') : hexIds(v);
  }
  return out;
}
