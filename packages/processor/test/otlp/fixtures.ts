import { otlpType } from '../../src/otlp/schema';

/** Encodes with protobufjs reflection over the vendored protos: an independent encoder for the fast decoder. */
export function encodeMessage(typeName: string, value: Record<string, unknown>): Buffer {
  const type = otlpType(typeName);
  return Buffer.from(type.encode(type.fromObject(value)).finish());
}

export const TRACE_REQUEST = 'opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest';
export const LOGS_REQUEST = 'opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest';
export const TRACE_RESPONSE = 'opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse';
export const LOGS_RESPONSE = 'opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse';

export const TRACE_ID = '5b8efff798038103d269b633813fc60c';
export const SPAN_ID = 'eee19b7ec3c1b174';
export const PARENT_ID = 'eee19b7ec3c1b173';

export const hex = (h: string) => Buffer.from(h, 'hex');

export function protoSpan(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    traceId: hex(TRACE_ID),
    spanId: hex(SPAN_ID),
    parentSpanId: hex(PARENT_ID),
    name: 'tools/call get_weather',
    kind: 2,
    startTimeUnixNano: '1763700000123456789',
    endTimeUnixNano: '1763700000987654321',
    attributes: [
      { key: 'mcp.method.name', value: { stringValue: 'tools/call' } },
      { key: 'mcp.tool.arguments.size', value: { intValue: 42 } },
    ],
    status: { code: 2, message: 'boom' },
    ...overrides,
  };
}

export function traceRequest(spans: Array<Record<string, unknown>>, resourceAttrs: unknown[] = []): Buffer {
  return encodeMessage(TRACE_REQUEST, {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'weather-mcp' } }, ...resourceAttrs] },
        scopeSpans: [{ scope: { name: 'scope-a', version: '1.0.0' }, spans }],
      },
    ],
  });
}

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}

/** tag + length + bytes of a length-delimited field. */
export function lenField(field: number, bytes: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([(field << 3) | 2, ...varint(bytes.length)]), bytes]);
}

/**
 * An AnyValue nested `levels` deep (array_value or kvlist_value alternately), built from the inside out
 * in one allocation pass: encoders that recurse would themselves overflow on this input.
 */
export function deepAnyValue(levels: number): Buffer {
  const inner = lenField(1, Buffer.from('leaf')); // AnyValue{string_value}
  const headers: Buffer[] = [];
  let size = inner.length;
  for (let i = 0; i < levels; i++) {
    const kv = i % 2 === 1;
    // array: AnyValue{5: ArrayValue{1: AnyValue}}; kvlist: AnyValue{6: KeyValueList{1: KeyValue{1:'k', 2: AnyValue}}}
    const parts: number[] = [];
    if (kv) {
      const keyField = [0x0a, 1, 0x6b];
      const kvSize = keyField.length + 1 + varint(size).length + size;
      const listSize = 1 + varint(kvSize).length + kvSize;
      parts.push(0x32, ...varint(listSize), 0x0a, ...varint(kvSize), ...keyField, 0x12, ...varint(size));
    } else {
      const arraySize = 1 + varint(size).length + size;
      parts.push(0x2a, ...varint(arraySize), 0x0a, ...varint(size));
    }
    const h = Buffer.from(parts);
    headers.push(h);
    size += h.length;
  }
  return Buffer.concat([...headers.reverse(), inner]);
}

/** A small seeded PRNG (xorshift32) so fuzz cases are reproducible. */
export function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}
