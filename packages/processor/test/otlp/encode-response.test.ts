/**
 * The hand-written OTLP responses (encode-response.ts) against protobufjs's encoding of the
 * same messages from the vendored protos: byte for byte, and decodable back to the values.
 */
import { describe, expect, it } from 'vitest';
import { encodeExportResponse, encodeStatus } from '../../src/otlp/encode-response';
import { otlpType } from '../../src/otlp/schema';

const TYPES = {
  traces: ['opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse', 'rejectedSpans'],
  logs: ['opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse', 'rejectedLogRecords'],
  metrics: ['opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse', 'rejectedDataPoints'],
} as const;

describe('OTLP protobuf responses', () => {
  it.each(Object.keys(TYPES) as Array<keyof typeof TYPES>)('%s: partial_success as protobufjs writes it', (signal) => {
    const [name, field] = TYPES[signal];
    const type = otlpType(name);
    for (const rejected of [0, 1, 127, 128, 300, 16_384, 2 ** 40 + 3]) {
      for (const message of [null, '', 'span 3: missing trace id', 'ünïcödé ✓ \u{1F600}', 'x'.repeat(300)]) {
        const ours = encodeExportResponse(signal, 'protobuf', rejected, message);
        const partial = rejected > 0 ? { partialSuccess: { [field]: rejected, errorMessage: message ?? '' } } : {};
        expect(ours.toString('hex')).toBe(Buffer.from(type.encode(type.fromObject(partial)).finish()).toString('hex'));
        const back = type.toObject(type.decode(ours), { longs: Number }) as { partialSuccess?: Record<string, unknown> };
        expect(back.partialSuccess?.[field] ?? 0).toBe(rejected);
      }
    }
  });

  it('google.rpc.Status as protobufjs writes it', () => {
    const type = otlpType('google.rpc.Status');
    for (let code = 0; code <= 16; code++) {
      for (const message of ['', 'request body size after decompression exceeds the limit of 8388608 bytes', 'ü'.repeat(200)]) {
        expect(encodeStatus('protobuf', code, message).toString('hex')).toBe(Buffer.from(type.encode(type.fromObject({ code, message })).finish()).toString('hex'));
      }
    }
  });
});
