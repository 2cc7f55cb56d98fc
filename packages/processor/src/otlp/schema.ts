import path from 'node:path';
import * as protobuf from 'protobufjs';

/** The vendored OTLP protos (package root `proto/`, the same from `src/otlp` and `dist/otlp`). */
export const PROTO_DIR = path.resolve(__dirname, '..', '..', 'proto');

/** Entry files: the three collector services pull in everything else; google.rpc.Status (+ RetryInfo) is the error body. */
export const PROTO_FILES = [
  'opentelemetry/proto/collector/trace/v1/trace_service.proto',
  'opentelemetry/proto/collector/logs/v1/logs_service.proto',
  'opentelemetry/proto/collector/metrics/v1/metrics_service.proto',
  'google/rpc/status.proto',
  'google/rpc/error_details.proto',
] as const;

let cached: protobuf.Root | null = null;

/** Loads the vendored protos once, by reflection. Well-known google/protobuf types come bundled with protobufjs. */
export function otlpRoot(): protobuf.Root {
  if (cached) return cached;
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => (target.startsWith('google/protobuf/') ? target : path.join(PROTO_DIR, target));
  root.loadSync(PROTO_FILES as unknown as string[], { keepCase: false });
  root.resolveAll();
  cached = root;
  return root;
}

export function otlpType(name: string): protobuf.Type {
  return otlpRoot().lookupType(name);
}
